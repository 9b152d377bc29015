/**
 * What one case did through each proxy, compared. Pure: the lane runner
 * hands in what the client got and what each proxy's backend recorded.
 *
 * Classes (docs/fuzzing.md):
 *   smuggled   a backend saw a request the client did not send as one: a
 *              body-borne request (tag ...s<n>) that the strict reference
 *              parser does not frame as a request of its own;
 *   desync     an upstream connection carried bytes of another case in
 *              front of or inside a request of this one (a body left over
 *              on a reused connection): the backend reads one client's
 *              bytes as part of another's request;
 *   unanswered a backend answered a request of this case that the proxy
 *              never answered the client for (another way to smuggle);
 *   lost       as unanswered, but the proxy reset the connection (a close
 *              with unread bytes, no lingering close): the answer may have
 *              been sent and thrown away by the client's kernel;
 *   mixup      a client got an answer that echoes another case's request;
 *   malformed  the proxy sent upstream bytes a strict backend cannot frame;
 *   stall      the proxy kept the connection open and did not answer all the
 *              requests the strict reference frames (before anything it may
 *              wait on), after stallMs of silence;
 *   divergence one proxy forwarded a request and the other did not, both did
 *              but it arrived different (method, path, Host, body), or
 *              neither did and they refused it with different statuses.
 * Hostile-backend exchanges (hostile.ts) add: no-answer (closed without an
 * answer), bad-answer (a non-5xx that is not the client's own), and restart
 * (a worker was replaced; the cases in flight then are the suspects).
 */
import { header, parseAll } from './http-parse.ts';
import type { FuzzCase } from './grammar.ts';
import type { ExchangeResult } from './exchange.ts';
import { PROXIES, type LaneRecord, type ProxyName, type SeenRequest } from './recording-backend.ts';

export type FindingClass = 'smuggled' | 'desync' | 'unanswered' | 'lost' | 'mixup' | 'malformed' | 'stall' | 'divergence' | 'no-answer' | 'bad-answer' | 'restart';
export const SMUGGLING: readonly FindingClass[] = ['smuggled', 'desync', 'unanswered'];

export interface Finding {
  cls: FindingClass;
  proxy?: ProxyName;
  /** Stable across seeds: class, proxy/outcomes, and the features of the request concerned. */
  signature: string;
  detail: string;
}

export interface Observation { result: ExchangeResult; record: LaneRecord }

/** RFC 3986 normalisation, the equivalence both proxies' paths are compared under (docs/fuzzing.md). */
export function canonicalTarget(target: string): string {
  let t = target;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(t);
  if (abs) t = t.slice(abs[0].length) || '/';
  const q = t.indexOf('?');
  const rawPath = q === -1 ? t : t.slice(0, q);
  const query = q === -1 ? '' : t.slice(q);
  const decoded = rawPath.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
    const c = parseInt(h, 16);
    return /[A-Za-z0-9._~-]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : `%${h.toUpperCase()}`;
  });
  const out: string[] = [];
  const segs = decoded.replace(/\/{2,}/g, '/').split('/');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i];
    if (s === '.') { if (i === segs.length - 1) out.push(''); continue; }
    if (s === '..') { out.pop(); if (i === segs.length - 1) out.push(''); continue; }
    out.push(s);
  }
  const path = decoded.startsWith('/') ? `/${out.join('/')}` : decoded;
  return path + query;
}

/** Host compared case-insensitively, without port or a trailing dot (nginx's $host drops both). */
export function canonicalHost(host: string | undefined): string {
  return (host ?? '').toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

function tagsOf(requests: { headers: [string, string][] }[]): Set<string> {
  const out = new Set<string>();
  for (const r of requests) { const t = header(r.headers, 'x-fuzz-tag')[0]; if (t) out.add(t); }
  return out;
}

/**
 * The features of the request a tag belongs to, for a signature. With
 * `orEarlier`, a plain request behind odd ones is signed by the nearest odd
 * one before it ("after:..."): that one decides what happens to it.
 */
function featuresOf(c: FuzzCase, tag: string, orEarlier = false): string {
  const m = /\.[rs](\d+)$/.exec(tag);
  let i = m ? Number(m[1]) : -1;
  let q = c.requests[i];
  let prefix = '';
  if (orEarlier && q && q.features.length === 0) {
    while (i > 0 && c.requests[i].features.length === 0) i--;
    if (c.requests[i].features.length > 0) { q = c.requests[i]; prefix = 'after:'; }
  }
  const fs = [...(q?.features ?? []), ...(c.kind === 'mutated' ? ['mut'] : [])];
  return fs.length ? prefix + [...new Set(fs)].sort().join('+') : 'plain';
}

/** What proxy `p` did with planned request `i`: fwd, the status it answered instead, or none. */
function outcome(c: FuzzCase, o: Observation, i: number, forwarded: Set<string>): string {
  const tag = c.requests[i].tag;
  if (forwarded.has(tag)) return 'fwd';
  const res = o.result.responses[i];
  // The strict backend's own 400 for bytes it could not frame, relayed: not the proxy's refusal.
  if (res && res.echo === undefined && res.headers.some(([k]) => k === 'x-fuzz-backend')) return `backend-${res.status}`;
  if (res && res.echo === undefined) return String(res.status);
  return o.result.closed ? 'closed' : 'none';
}

/**
 * How the client's bytes frame. Strict (RFC 9112 as a strict recipient):
 * `end` and `count` (clean: every byte belongs to a complete request).
 * Lenient (the same framing rules, forgiving syntax): `framed`, the requests
 * the client did send as requests; a body-borne one that is not among them
 * and reaches a backend was smuggled.
 */
export interface Reference { framed: Set<string>; end: string; count: number }

export function reference(c: FuzzCase): Reference {
  const bytes = Buffer.concat(c.steps.filter((s): s is Buffer => Buffer.isBuffer(s)));
  const strict = parseAll(bytes);
  const lenient = parseAll(bytes, true);
  return { framed: tagsOf([...strict.requests, ...lenient.requests]), end: strict.end, count: strict.requests.length };
}

/**
 * Marks of known bug patterns in the case's bytes, whatever made them (a
 * feature or a mutation), so a signature says e.g. "[conn-framing]" even for
 * a mutated case.
 */
const MARKERS: [string, RegExp][] = [
  ['conn-framing', /\nconnection:[^\r\n]*\b(content-length|transfer-encoding|host)\b/i],
  ['te-identity-chunked', /\ntransfer-encoding:[^\r\n]*identity[^\r\n]*chunked/i],
  ['te-identity', /\ntransfer-encoding:[^\r\n]*identity/i],
  ['http09-headers', /^[A-Z]+ \S+(?: HTTP\/0\.9)?\r?\n[\w-]+:/m],
];
export function markers(c: FuzzCase): string {
  const bytes = Buffer.concat(c.steps.filter((s): s is Buffer => Buffer.isBuffer(s))).toString('latin1');
  const m = MARKERS.filter(([, re]) => re.test(bytes)).map(([n]) => n);
  return m.length ? `[${m.join(',')}]` : '';
}

/** Every tag value in the case's bytes (as sent, also where a mutation made one). */
function sentTags(c: FuzzCase): Set<string> {
  const bytes = Buffer.concat(c.steps.filter((s): s is Buffer => Buffer.isBuffer(s))).toString('latin1');
  const out = new Set<string>();
  for (const m of bytes.matchAll(/x-fuzz-tag:[ \t]*([^\r\n]*)/gi)) for (const t of m[1].trim().split(/, */)) out.add(t);
  return out;
}

function perProxy(c: FuzzCase, p: ProxyName, o: Observation, ref: Reference, disturbed: boolean): Finding[] {
  const out: Finding[] = [];
  const mk = markers(c);
  const mine = `fz.${c.lane}.${c.id}.`;
  // Another client's answer echoes a tag that is nowhere in this case's bytes
  // (a mutation may have made a tag of its own, or joined two into a list).
  const sent = sentTags(c);
  for (const res of o.result.responses) {
    if (res.echo !== undefined && !res.echo.split(/, */).every((t) => sent.has(t))) out.push({ cls: 'mixup', proxy: p, signature: `mixup:${p}`, detail: `case ${c.id} got the answer to ${res.echo}` });
  }
  const echoed = new Set(o.result.responses.map((r) => r.echo).filter(Boolean));
  for (const s of o.record.complete) {
    if (!s.tag?.startsWith(mine)) continue;
    if (/\.s\d+$/.test(s.tag) && !ref.framed.has(s.tag)) {
      out.push({ cls: 'smuggled', proxy: p, signature: `smuggled:${p}:${featuresOf(c, s.tag)}${mk}`, detail: `backend got ${s.method} ${s.target} (${s.tag}) from inside a body` });
    } else if (!echoed.has(s.tag) && !disturbed && /ECONNRESET|EPIPE/.test(o.result.error ?? '')) {
      out.push({ cls: 'lost', proxy: p, signature: `lost:${p}:${featuresOf(c, s.tag, true)}`, detail: `backend answered ${s.method} ${s.target} (${s.tag}); the proxy reset the connection (${o.result.error}) and the client got ${o.result.responses.length} answer(s)` });
    } else if (!echoed.has(s.tag) && !disturbed) {
      out.push({ cls: 'unanswered', proxy: p, signature: `unanswered:${p}:${featuresOf(c, s.tag, true)}${mk}`, detail: `backend answered ${s.method} ${s.target} (${s.tag}); the client got no answer for it (statuses ${o.result.responses.map((r) => r.status).join(',') || 'none'}, closed ${o.result.closed})` });
    }
  }
  const planned = new Map(c.requests.map((q) => [q.tag, q.method]));
  for (const s of o.record.complete) {
    const want = s.tag ? planned.get(s.tag) : undefined;
    if (want && s.method !== want && s.method.endsWith(want)) out.push({ cls: 'desync', proxy: p, signature: `desync:${p}:prefix`, detail: `${s.tag} arrived as "${s.method.slice(0, 80)} ${s.target.slice(0, 60)}": bytes left on the upstream connection in front of it` });
  }
  for (const m of o.record.malformed) {
    // Two cases' tags in one byte string a strict backend could not frame: they were glued together on one connection.
    const cases = new Set([...m.bytes.matchAll(/x-fuzz-tag *: *fz\.\d+\.(\d+)\./gi)].map((x) => Number(x[1])));
    const other = [...cases].find((id) => id !== c.id);
    if (other !== undefined && cases.size > 1) out.push({ cls: 'desync', proxy: p, signature: `desync:${p}:other-case`, detail: `bytes of case ${other} on an upstream connection with a request of case ${c.id}: ${JSON.stringify(m.bytes.slice(0, 200))}` });
    const tag = /x-fuzz-tag: *(\S+)/i.exec(m.bytes)?.[1] ?? '';
    out.push({ cls: 'malformed', proxy: p, signature: `malformed:${p}:${m.reason.replace(/".*$/, '').trim()}:${tag ? featuresOf(c, tag) : 'untagged'}`, detail: `upstream bytes: ${JSON.stringify(m.bytes.slice(0, 300))}` });
  }
  if (!disturbed && ref.count > 0 && !o.result.closed && o.result.quiet && o.result.responses.length < ref.count) {
    const i = o.result.responses.length;
    const tag = c.requests[Math.min(i, c.requests.length - 1)]?.tag ?? '';
    out.push({ cls: 'stall', proxy: p, signature: `stall:${p}:${featuresOf(c, tag, true)}${mk}`, detail: `${ref.count} request(s) framed, ${o.result.responses.length} answered, connection left open` });
  }
  return out;
}

function sameRequest(a: SeenRequest, b: SeenRequest): string[] {
  const diff: string[] = [];
  if (a.method !== b.method) diff.push('method');
  if (canonicalTarget(a.target) !== canonicalTarget(b.target)) diff.push('path');
  if (canonicalHost(a.host) !== canonicalHost(b.host)) diff.push('host');
  if (!a.body.equals(b.body)) diff.push('body');
  return diff;
}

export function compareCase(c: FuzzCase, obs: Record<ProxyName, Observation>, disturbed = false, ref = reference(c)): Finding[] {
  const out: Finding[] = PROXIES.flatMap((p) => perProxy(c, p, obs[p], ref, disturbed));
  if (disturbed) return out;
  const [M, N] = PROXIES;
  const mine = `fz.${c.lane}.${c.id}.`;
  const byTag = (o: Observation) => new Map(o.record.complete.filter((s) => s.tag?.startsWith(mine)).map((s) => [s.tag!, s]));
  const m = byTag(obs[M]);
  const n = byTag(obs[N]);
  const refSays = (tag: string) => (ref.framed.has(tag) ? 'reference frames it' : `reference: ${ref.end}`);
  const mTags = new Set(m.keys());
  const nTags = new Set(n.keys());
  c.requests.forEach((q, i) => {
    const a = m.get(q.tag);
    const b = n.get(q.tag);
    const oa = outcome(c, obs[M], i, mTags);
    const ob = outcome(c, obs[N], i, nTags);
    if (a && b) {
      const diff = sameRequest(a, b);
      if (diff.length) {
        const show = (s: SeenRequest) => `${s.method} ${s.target} host=${s.host} body=${s.body.length}B`;
        out.push({ cls: 'divergence', signature: `divergence:${diff.join(',')}:${featuresOf(c, q.tag)}`, detail: `${q.tag}: meshgate sent ${show(a)}; nginx sent ${show(b)}` });
      }
    } else if (a || b) {
      out.push({ cls: 'divergence', signature: `divergence:${oa}/${ob}:${featuresOf(c, q.tag, true)}`, detail: `${q.tag}: meshgate ${oa}, nginx ${ob} (${refSays(q.tag)})` });
    } else if (oa !== ob && /^\d+$/.test(oa) && /^\d+$/.test(ob)) {
      out.push({ cls: 'divergence', signature: `divergence:${oa}/${ob}:${featuresOf(c, q.tag, true)}`, detail: `${q.tag}: meshgate ${oa}, nginx ${ob} (${refSays(q.tag)})` });
    }
  });
  const untagged = (o: Observation) => o.record.complete.filter((s) => !s.tag).length;
  if (untagged(obs[M]) !== untagged(obs[N])) {
    out.push({ cls: 'divergence', signature: `divergence:untagged-count:${c.kind === 'mutated' ? 'mut' : c.features.join('+') || 'plain'}`, detail: `backend saw ${untagged(obs[M])} untagged request(s) from meshgate, ${untagged(obs[N])} from nginx` });
  }
  return out;
}
