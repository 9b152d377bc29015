// Header changes (HeaderModifier): the annotation syntax meshgate reads them
// in, and the check every front end (annotations, Gateway API filters)
// runs before one goes into a snapshot.
import type { HeaderModifier, HeaderValue } from './route-model.ts';

/** RFC 9110 field name (token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value: visible characters, spaces and tabs; no CR, LF or NUL (they would split the message). */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Hop-by-hop and framing: they describe one connection or the body's length, which the proxy decides. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings', 'content-length'];
/** What the proxy sets on the way up (forwarded.ts, the request id, the trace context) and Host, which routed the request. */
const PROXY_REQUEST = ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip',
  'x-request-id', 'traceparent', 'tracestate'];

/** Why a header may not be changed on this side, or undefined when it may. */
export function forbiddenHeader(name: string, side: 'request' | 'response'): string | undefined {
  const n = name.toLowerCase();
  if (HOP_BY_HOP.includes(n)) return `${n} is hop-by-hop or framing: the proxy sets it for each connection`;
  if (side === 'request' && PROXY_REQUEST.includes(n)) {
    return n === 'host' ? 'host decides the route; it cannot be rewritten this way' : `${n} is set by the proxy itself (docs/hardening.md, --trusted-proxies)`;
  }
  if (side === 'response' && n === 'x-request-id') return 'x-request-id is set by the proxy itself';
  return undefined;
}

/** What is wrong with `m`, naming the header, or undefined. Names must be lower-case (as the model keeps them). */
export function headerModifierProblem(m: HeaderModifier, side: 'request' | 'response'): string | undefined {
  const seen = new Set<string>();
  const check = (name: string, list: string, value?: string): string | undefined => {
    if (!TOKEN.test(name)) return `"${name}" is not a header name (letters, digits and !#$%&'*+.^_\`|~-)`;
    if (name !== name.toLowerCase()) return `"${name}": header names are kept lower-case`;
    const bad = forbiddenHeader(name, side);
    if (bad !== undefined) return `${side} header ${bad}`;
    if (value !== undefined && !VALUE.test(value)) return `the value of ${name} has a control character (CR, LF and NUL would split the message)`;
    // Across the lists a name may repeat (they apply in order: remove, set, add); add may add a header twice.
    if (list !== 'add' && seen.has(`${list} ${name}`)) return `${name} is in ${list} twice`;
    seen.add(`${list} ${name}`);
    return undefined;
  };
  for (const n of m.remove ?? []) { const p = check(n, 'remove'); if (p) return p; }
  for (const h of m.set ?? []) { const p = check(h.name, 'set', h.value); if (p) return p; }
  for (const h of m.add ?? []) { const p = check(h.name, 'add', h.value); if (p) return p; }
  return undefined;
}

/** Where a comma starts another `Name:` entry on the same line. */
const NEXT_ENTRY = /,\s*(?=[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*:)/;

/**
 * `X-A: 1, X-B: 2`, or one `Name: value` per line (a YAML block): a comma
 * followed by `Name:` starts the next header, so values keep their commas
 * (`Cache-Control: no-cache, no-store`). Names come out lower-case.
 */
export function parseHeaderValues(text: string): { headers: HeaderValue[] } | { error: string } {
  const headers: HeaderValue[] = [];
  for (const line of text.split(/\r?\n/)) {
    for (const entry of line.split(NEXT_ENTRY)) {
      if (entry.trim() === '') continue;
      const colon = entry.indexOf(':');
      const name = colon < 0 ? '' : entry.slice(0, colon).trim();
      if (!TOKEN.test(name)) return { error: `"${entry.trim()}" is not "Name: value"` };
      headers.push({ name: name.toLowerCase(), value: entry.slice(colon + 1).trim() });
    }
  }
  if (headers.length === 0) return { error: 'no header given' };
  return { headers };
}

/** `X-A, X-B` (commas, spaces or lines): names, lower-case. */
export function parseHeaderNames(text: string): { names: string[] } | { error: string } {
  const names = text.split(/[\s,]+/).filter(Boolean);
  const bad = names.find((n) => !TOKEN.test(n));
  if (bad !== undefined) return { error: `"${bad}" is not a header name` };
  if (names.length === 0) return { error: 'no header name given' };
  return { names: names.map((n) => n.toLowerCase()) };
}
