/**
 * Client certificates per host (auth-tls-*). The TLS side: when SNI names a
 * host with a profile, its context carries the profile's CA bundle and the
 * connection asks for a certificate (`askForCertificate`, from the SNI
 * callback), marking the socket with the profile. The request side (this
 * filter, on every route while any host has a profile): the Host's profile
 * must be the one the connection asked with, else 421; the result is
 * checked as nginx does (ssl_verify_client): "on" answers 400 without a
 * certificate ("No required SSL certificate was sent") or with a bad one
 * ("The SSL certificate error"), "optional" only with a bad one,
 * "optional_no_ca" lets an unknown CA through; auth-tls-error-page turns
 * those 400s into a 302; auth-tls-match-cn is 403. The verdict goes upstream
 * in ssl-client-verify, -subject-dn, -issuer-dn (and ssl-client-cert).
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { RequestContext } from '../pipeline/request-context.ts';
import type { ClientAuthProfile } from './access-index.ts';
import type { FilterFactory, Respond } from './filter.ts';

/** The profile the SNI callback asked for a certificate with (null: SNI named a host without one). */
const kAsked = Symbol('meshgate.clientAuth.asked');
/** The connection's certificate, checked once per profile. */
const kChecked = Symbol('meshgate.clientAuth.checked');

type Socket = TLSSocket & {
  [kAsked]?: ClientAuthProfile | null;
  [kChecked]?: CertCheck;
  _handle?: { setVerifyMode?(request: boolean, reject: boolean): void; verifyError?(): (Error & { code?: string }) | null } | null;
  _requestCert?: boolean;
  _rejectUnauthorized?: boolean;
};

/** The SNI callback's part: a connection for a host with `profile` asks for a client certificate (undefined: it does not). */
export function askForCertificate(socket: TLSSocket, profile: ClientAuthProfile | undefined): void {
  const s = socket as Socket;
  s[kAsked] = profile ?? null;
  if (profile === undefined || profile.verify === 'off') return;
  // node decides whether to ask per server; per SNI name it takes the socket's own verify mode,
  // set here before the server's handshake messages go out. The check is the filter's, so the
  // handshake accepts any certificate, and node records the result (authorizationError).
  s._handle?.setVerifyMode?.(true, false);
  s._requestCert = true;
  s._rejectUnauthorized = false;
}

/** ssl_verify_client optional_no_ca lets these through (nginx's ngx_ssl_verify_error_optional). */
const UNKNOWN_CA = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

export interface CertCheck {
  profile: ClientAuthProfile;
  /** nginx's $ssl_client_verify: SUCCESS, NONE or FAILED:reason. */
  verify: string;
  /** The failure's OpenSSL code, when FAILED. */
  error: string | undefined;
  subject: string;
  issuer: string;
  /** URL-escaped PEM ($ssl_client_escaped_cert). */
  escaped: string;
}

/** RFC 2253 order and escaping, as nginx's $ssl_client_s_dn. */
export function rfc2253(name: string): string {
  return name.split('\n').reverse().map((rdn) => rdn.replace(/([,+"\\<>;])/g, '\\$1')).join(',');
}

const issuedBy = (c: X509Certificate, ca: X509Certificate) => c.fingerprint256 === ca.fingerprint256 || (c.checkIssued(ca) && c.verify(ca.publicKey));

export function checkCertificate(socket: TLSSocket, profile: ClientAuthProfile): CertCheck {
  const s = socket as Socket;
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return { profile, verify: 'NONE', error: undefined, subject: '', issuer: '', escaped: '' };
  // OpenSSL checked the chain against the profile's CAs (the SNI context's store); a resumed
  // session keeps the result of its first handshake, which had the same server name.
  let error = s._handle?.verifyError?.()?.code ?? undefined;
  // Depth 0: no intermediate. node does not show the chain the client sent, so deeper limits
  // are OpenSSL's own (docs/access-control.md).
  if (error === undefined && profile.depth === 0 && !profile.caCerts.some((ca) => issuedBy(cert, ca))) error = 'CERT_CHAIN_TOO_LONG';
  return {
    profile, verify: error === undefined ? 'SUCCESS' : `FAILED:${error}`, error,
    subject: rfc2253(cert.subject), issuer: rfc2253(cert.issuer), escaped: encodeURIComponent(cert.toString()),
  };
}

export const clientCert: FilterFactory = {
  name: 'client-cert',
  order: 300,
  compile(_policy, env) {
    const hosts = env.access?.clientAuth;
    if (hosts === undefined) return undefined;
    return {
      name: 'client-cert',
      onRequest(ctx) {
        const profile = hosts.find(ctx.host);
        if (profile === undefined) return undefined;
        return verdict(ctx, profile);
      },
    };
  },
};

const NO_CERT = 'meshgate: 400 No required SSL certificate was sent\n';
const BAD_CERT = 'meshgate: 400 The SSL certificate error\n';

function verdict(ctx: RequestContext, p: ClientAuthProfile): Respond | undefined {
  const h = ctx.req.headers;
  // The client's own ssl-client-* never reach the backend of a host that has them.
  h['ssl-client-cert'] = undefined;
  if (p.verify === 'off') {
    h['ssl-client-verify'] = 'NONE';
    h['ssl-client-subject-dn'] = h['ssl-client-issuer-dn'] = undefined;
    return undefined;
  }
  if (p.caCerts.length === 0) return deny(403, 'meshgate: 403 Forbidden (the client-certificate CA Secret of this host is missing or unusable)\n');
  const socket = ctx.req.tlsSocket as Socket | undefined;
  let c: CertCheck | undefined;
  if (socket === undefined) {
    // Plain HTTP carries no certificate.
    if (p.verify === 'on') return fail(p, NO_CERT);
  } else {
    const asked = socket[kAsked];
    if (asked !== undefined ? asked !== p : !socket.isSessionReused()) {
      return deny(421, `meshgate: 421 Misdirected Request (${ctx.host} needs a client certificate: connect with it as the TLS server name)\n`);
    }
    c = socket[kChecked];
    if (c === undefined || c.profile !== p) c = socket[kChecked] = checkCertificate(socket, p);
    if (c.verify === 'NONE' && p.verify === 'on') return fail(p, NO_CERT);
    if (c.error !== undefined && !(p.verify === 'optional_no_ca' && UNKNOWN_CA.has(c.error))) return fail(p, BAD_CERT);
  }
  if (p.matchRe !== undefined && !p.matchRe.test(c?.subject ?? '')) return deny(403, 'meshgate: 403 client certificate unauthorized\n');
  h['ssl-client-verify'] = c?.verify ?? 'NONE';
  h['ssl-client-subject-dn'] = c?.subject || undefined;
  h['ssl-client-issuer-dn'] = c?.issuer || undefined;
  if (p.passCertificate) h['ssl-client-cert'] = c?.escaped || undefined;
  return undefined;
}

/** nginx's 495/496: 400, or a redirect to auth-tls-error-page. */
function fail(p: ClientAuthProfile, body: string): Respond {
  if (p.errorPage !== undefined) return { kind: 'respond', status: 302, headers: ['location', p.errorPage], body: 'meshgate: 302 Found\n', deniedBy: 'mtls' };
  return deny(400, body);
}

function deny(status: number, body: string): Respond {
  return { kind: 'respond', status, body, deniedBy: 'mtls' };
}
