/**
 * Grammar-based HTTP/1.1 requests: a valid request for a lane, then zero to
 * two "odd" features from the catalogue (features.ts) applied to it. Each
 * request carries a tag (X-Fuzz-Tag: fz.<lane>.<case>.r<n>) that the backend
 * echoes; a body often IS a request (tag ...s<n>), so a proxy that lets a
 * body through as a request is caught by the backend seeing that tag.
 * Everything comes from one seeded PRNG per case: (seed, case id) replays it.
 */
import { Prng } from '../hardening/fuzz/prng.ts';
import type { Step } from './exchange.ts';
import { FEATURES, type Feature } from './features.ts';
import { mutateCase } from './mutate-http.ts';
import { laneHost } from './nginx.ts';
import { CRLF, bodyContent, frame, serialize, type Ctx, type Spec } from './spec.ts';

export interface PlannedRequest { tag: string; method: string; features: string[] }

export interface FuzzCase {
  id: number;
  lane: number;
  kind: 'grammar' | 'mutated' | 'hostile' | 'raw';
  steps: Step[];
  /** Requests as generated, in order (the reference parser decides how they really frame). */
  requests: PlannedRequest[];
  /** Odd features of all requests (and mutation operators), for signatures. */
  features: string[];
}

const METHODS: [string, number][] = [['GET', 45], ['POST', 25], ['HEAD', 7], ['PUT', 6], ['PATCH', 5], ['DELETE', 5], ['OPTIONS', 3]];
const WORDS = ['public', 'admin', 'api', 'v1', 'users', 'static', 'a', 'b', 'index.html', 'x.php', 'WEB-INF', 'ünï'];

function weighted<T>(r: Prng, xs: readonly [T, number][]): T {
  let total = 0;
  for (const [, w] of xs) total += w;
  let x = r.next() * total;
  for (const [v, w] of xs) { x -= w; if (x < 0) return v; }
  return xs[xs.length - 1][0];
}

function baseSpec(ctx: Ctx): Spec {
  const r = ctx.r;
  const method = weighted(r, METHODS);
  const segs = Array.from({ length: 1 + r.int(3) }, () => encodeURIComponent(r.pick(WORDS)));
  const target = `/${segs.join('/')}${r.next() < 0.3 ? `?q=${r.int(1000)}&a=b` : ''}`;
  const lines = [`Host: ${ctx.host}`, `X-Fuzz-Tag: ${ctx.tag}`];
  if (r.next() < 0.5) lines.push('User-Agent: fuzz/1');
  if (r.next() < 0.3) lines.push(`X-Custom-${r.int(10)}: v${r.int(100)}`);
  const s: Spec = { leading: '', method, target, version: 'HTTP/1.1', sep: ' ', lines, eol: CRLF, content: '', body: '', features: [] };
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') frame(s, r.next() < 0.6 ? 'cl' : 'chunked', r, bodyContent(ctx));
  return s;
}

function pickFeature(r: Prng): Feature {
  let total = 0;
  for (const f of FEATURES) total += f.weight;
  let x = r.next() * total;
  for (const f of FEATURES) { x -= f.weight; if (x < 0) return f; }
  return FEATURES[FEATURES.length - 1];
}

export function tagFor(lane: number, id: number, kind: 'r' | 's', n: number): string { return `fz.${lane}.${id}.${kind}${n}`; }

/** One request of a case. */
export function generateRequest(r: Prng, lane: number, id: number, n: number, oddFeatures: number): { spec: Spec; tag: string } {
  const ctx: Ctx = { lane, host: laneHost(lane), tag: tagFor(lane, id, 'r', n), smuggleTag: tagFor(lane, id, 's', n), r };
  const s = baseSpec(ctx);
  for (let i = 0; i < oddFeatures; i++) {
    const f = pickFeature(r);
    f.apply(s, ctx);
    s.features.push(f.name);
  }
  return { spec: s, tag: ctx.tag };
}

/** Splits the case's bytes into writes: one, one per request, or at random points. */
function split(r: Prng, parts: string[]): Step[] {
  const how = r.next();
  if (how < 0.6) return [Buffer.from(parts.join(''), 'latin1')];
  if (how < 0.85) return parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p, 'latin1')] : [{ pauseMs: r.int(4) }, Buffer.from(p, 'latin1')]));
  const all = parts.join('');
  const cuts = Array.from({ length: 1 + r.int(3) }, () => r.int(all.length)).sort((a, b) => a - b);
  const steps: Step[] = [];
  let prev = 0;
  for (const c of [...cuts, all.length]) {
    if (c > prev) { if (steps.length) steps.push({ pauseMs: r.int(6) }); steps.push(Buffer.from(all.slice(prev, c), 'latin1')); }
    prev = c;
  }
  return steps;
}

/** Case `id` of run `seed` on `lane`: the same three numbers give the same bytes. */
export function generateCase(seed: number, id: number, lane: number, mutateShare = 0.35): FuzzCase {
  const r = new Prng((Math.imul(seed >>> 0, 2654435761) ^ Math.imul(id, 40503) ^ 0x9e3779b9) >>> 0);
  // A flood: thousands of pipelined requests behind a slow one (issue 18: 20,000 took a worker down).
  const flood = r.next() < 0.0003;
  const count = flood ? (r.next() < 0.2 ? 10_000 + r.int(10_000) : 500 + r.int(4_500)) : weighted(r, [[1, 50], [2, 25], [3, 15], [4, 6], [6, 4]]);
  const parts: string[] = [];
  const requests: PlannedRequest[] = [];
  for (let n = 0; n < count; n++) {
    const odd = flood ? 0 : weighted(r, [[0, 25], [1, 60], [2, 15]]);
    const { spec, tag } = generateRequest(r, lane, id, n, odd);
    if (flood && n === 0) { spec.lines.push('X-Fuzz-Delay: 30'); spec.features.push('flood'); }
    parts.push(serialize(spec));
    requests.push({ tag, method: spec.method, features: spec.features });
  }
  const features = [...new Set(requests.flatMap((q) => q.features))].sort();
  if (!flood && r.next() < mutateShare) {
    const m = mutateCase(r, parts.join(''), requests.map((q) => q.tag));
    return { id, lane, kind: 'mutated', steps: split(r, [m.bytes]), requests, features: [...features, ...m.ops.map((o) => `mut:${o}`)] };
  }
  return { id, lane, kind: 'grammar', steps: split(r, parts), requests, features };
}
