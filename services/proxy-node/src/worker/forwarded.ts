/**
 * The forwarded-for family of request headers, and who may set them.
 *
 * A client can write any `X-Forwarded-For` it likes; only a proxy we trust
 * (`--trusted-proxies CIDR,...`) may tell us who its client was. So, as
 * nginx's real_ip module with `real_ip_recursive on`:
 * - from a peer outside the trusted CIDRs, the client's X-Forwarded-For,
 *   -Proto, -Host, -Port, Forwarded and X-Real-IP are dropped, and the proxy
 *   sets X-Forwarded-For, X-Real-IP (the peer), X-Forwarded-Proto and
 *   X-Forwarded-Host itself; Forwarded and X-Forwarded-Port are not set;
 * - from a trusted peer, X-Forwarded-For is kept and the peer appended,
 *   X-Forwarded-Proto, -Host, -Port are kept when it sent them (else ours),
 *   a Forwarded header it sent gets `for=<peer>` appended (RFC 7239), and
 *   X-Real-IP is the real client address (`realClientAddress`).
 */
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/** Headers only the proxy (or a trusted one before it) may set. */
export const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip'] as const;

/**
 * `10.0.0.0/8,2001:db8::/32,192.0.2.7` -> the CIDRs, each checked (an
 * address alone is a /32 or /128), or an error saying which part is wrong.
 */
export function parseCidrs(text: string): { cidrs: string[] } | { error: string } {
  const cidrs: string[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const slash = part.indexOf('/');
    const addr = slash === -1 ? part : part.slice(0, slash);
    const family = net.isIP(addr);
    const max = family === 4 ? 32 : 128;
    const bits = slash === -1 ? max : /^\d{1,3}$/.test(part.slice(slash + 1)) ? Number(part.slice(slash + 1)) : NaN;
    if (family === 0 || !(bits >= 0 && bits <= max)) {
      return { error: `'${part}' is not an IPv4 or IPv6 address with an optional /prefix (0-32 for IPv4, 0-128 for IPv6)` };
    }
    cidrs.push(`${addr}/${bits}`);
  }
  if (cidrs.length === 0) return { error: 'no CIDR given' };
  return { cidrs };
}

/** A BlockList of checked CIDRs (parseCidrs); node's BlockList also matches IPv4-mapped IPv6 addresses against IPv4 ranges and back. */
export function trustedList(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/') as [string, string];
    list.addSubnet(addr, Number(bits), net.isIPv4(addr) ? 'ipv4' : 'ipv6');
  }
  return list;
}

export function isTrusted(list: net.BlockList, address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  try {
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false; // a zone id (fe80::1%eth0) and the like: not in any list
  }
}

/** One X-Forwarded-For entry as an address: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`, `[::1]:80`; '' if it is none. */
function entryAddress(entry: string): string {
  let a = entry.trim();
  if (a.charCodeAt(0) === 91 /* [ */) a = a.slice(1, a.indexOf(']') === -1 ? a.length : a.indexOf(']'));
  else if (a.indexOf(':') !== -1 && a.indexOf(':') === a.lastIndexOf(':')) a = a.slice(0, a.indexOf(':'));
  return net.isIP(a) === 0 ? '' : a;
}

/**
 * The address of the client, as far as trusted proxies vouch for it: the
 * peer, unless it is trusted; then X-Forwarded-For read right to left,
 * skipping trusted addresses, and the first untrusted one is the client
 * (nginx real_ip_recursive). Every entry trusted: the leftmost. An entry
 * that is not an address ends the walk at the hop that wrote it (the last
 * trusted address). No trusted list: the peer.
 */
export function realClientAddress(peer: string, xff: string | undefined, trusted: net.BlockList | undefined): string {
  if (trusted === undefined || xff === undefined || xff === '' || !isTrusted(trusted, peer)) return peer;
  let client = peer;
  let end = xff.length;
  while (end > 0) {
    const start = xff.lastIndexOf(',', end - 1) + 1;
    const addr = entryAddress(xff.slice(start, end));
    if (addr === '') return client;
    client = addr;
    if (!isTrusted(trusted, addr)) return client;
    end = start - 1;
  }
  return client;
}

function one(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

/** RFC 7239 node: an IPv6 address is bracketed and quoted. */
function forwardedNode(addr: string): string {
  return addr.indexOf(':') === -1 ? addr : `"[${addr}]"`;
}

/**
 * Appends the forwarded headers to `out` (a flat [name, value, ...] list
 * from which the client's FORWARDED_HEADERS were left out).
 */
export function appendForwarded(out: string[], h: IncomingHttpHeaders, peer: string, scheme: string, host: string, trusted: net.BlockList | undefined): void {
  if (trusted === undefined || !isTrusted(trusted, peer)) {
    out.push('x-forwarded-for', peer, 'x-forwarded-proto', scheme, 'x-real-ip', peer);
    if (host !== '') out.push('x-forwarded-host', host);
    return;
  }
  const xff = one(h['x-forwarded-for']);
  out.push(
    'x-forwarded-for', xff === undefined ? peer : `${xff}, ${peer}`,
    'x-forwarded-proto', one(h['x-forwarded-proto']) ?? scheme,
    'x-real-ip', realClientAddress(peer, xff, trusted),
  );
  const fhost = one(h['x-forwarded-host']) ?? host;
  if (fhost !== '') out.push('x-forwarded-host', fhost);
  const port = one(h['x-forwarded-port']);
  if (port !== undefined) out.push('x-forwarded-port', port);
  const fwd = one(h.forwarded);
  if (fwd !== undefined) out.push('forwarded', `${fwd}, for=${forwardedNode(peer)}`);
}
