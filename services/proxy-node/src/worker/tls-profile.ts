/**
 * Mozilla's server-side TLS profiles (https://wiki.mozilla.org/Security/Server_Side_TLS,
 * guidelines 5.7) as node secure-context options, for every context the
 * HTTPS listener uses (the default one and each SNI certificate's).
 *
 * - modern: TLS 1.3 only; the client picks the suite (all three are strong).
 * - intermediate (default): TLS 1.2 with ECDHE and AEAD suites only (no CBC:
 *   LUCKY13; Mozilla's DHE suites left out too, they need a 2048-bit DH
 *   exchange per handshake for clients that all speak ECDHE), and TLS 1.3;
 *   the client picks (it knows whether it has AES hardware).
 * - old: TLS 1.0 to 1.3, CBC and plain-RSA suites too, DHE with ffdhe2048;
 *   the server's order wins. Node's OpenSSL allows TLS 1.0/1.1 only at
 *   security level 0, and is built without 3DES, so DES-CBC3-SHA (Mozilla
 *   keeps it for IE 8 on Windows XP) is not offered.
 */
import type tls from 'node:tls';

export const TlsProfiles = ['modern', 'intermediate', 'old'] as const;
export type TlsProfile = (typeof TlsProfiles)[number];

const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
const ECDHE_AEAD = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';
const OLD_EXTRA = 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA';
const CURVES = 'X25519:prime256v1:secp384r1';

export type ProfileOptions = Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'honorCipherOrder' | 'ecdhCurve' | 'dhparam'>;

const PROFILES: Record<TlsProfile, ProfileOptions> = {
  modern: { minVersion: 'TLSv1.3', ciphers: TLS13, ecdhCurve: CURVES, honorCipherOrder: false },
  intermediate: { minVersion: 'TLSv1.2', ciphers: `${TLS13}:${ECDHE_AEAD}`, ecdhCurve: CURVES, honorCipherOrder: false },
  old: { minVersion: 'TLSv1', ciphers: `${TLS13}:${ECDHE_AEAD}:${OLD_EXTRA}:@SECLEVEL=0`, ecdhCurve: CURVES, honorCipherOrder: true, dhparam: 'auto' },
};

/** The secure-context options of a profile (a fresh object: callers spread it). */
export function tlsProfileOptions(profile: TlsProfile = 'intermediate'): ProfileOptions {
  return { ...PROFILES[profile] };
}
