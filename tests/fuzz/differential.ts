/**
 * The differential runner: each lane sends one case at a time through
 * meshgate and nginx at once (each to its own recording backend for the
 * lane), waits until both backends are quiet, and compares (compare.ts).
 * Lanes run in parallel, so the rate is lanes / (time per case).
 */
import { compareCase, markers, reference, type Finding, type Reference } from './compare.ts';
import { exchange, type ExchangeResult } from './exchange.ts';
import { generateCase, type FuzzCase } from './grammar.ts';
import type { LaneRecord, ProxyName, RecordingBackend } from './recording-backend.ts';

export interface DiffRun {
  seed: number;
  lanes: number;
  /** Stop before this case id (undefined: only `going()` ends it). */
  count?: number;
  firstId?: number;
  quietMs: number;
  /** Silence after which a proxy that has not answered cleanly framed requests counts as stalled. */
  stallMs: number;
  maxMs: number;
  mutateShare: number;
  /** Features not to generate (known bugs while they are open): cases with one are skipped. */
  skipFeatures?: readonly string[];
}

export interface DiffSink {
  going(): boolean;
  /** Worker restarts so far: a case during which it changed is "disturbed" (no divergence, stall or unanswered from it). */
  restarts(): number;
  report(findings: Finding[], c: FuzzCase, notes: unknown): void;
  inflight: Map<string, FuzzCase>;
}

export interface DiffStats { cases: number; requests: number; floodRequests: number; skipped: number; disturbed: number; late: number }

export interface Ports { meshgate: number; nginx: number }

/** What each proxy answered and its backend saw, short, for a saved finding. */
export function summarize(r: ExchangeResult, rec: LaneRecord): unknown {
  return {
    answers: r.responses.map((x) => `${x.status}${x.echo ? ` ${x.echo}` : ''}`),
    closed: r.closed, quiet: r.quiet, ms: r.ms, ...(r.garbage ? { garbage: r.garbage.slice(0, 120) } : {}), ...(r.error ? { error: r.error } : {}),
    backend: rec.complete.map((s) => `${s.method} ${s.target} host=${s.host ?? '-'} body=${s.body.length}B conn=${s.conn} ${s.tag ?? 'untagged'}`),
    ...(rec.partial.length ? { partial: rec.partial.map((s) => `${s.method} ${s.target} ${s.tag ?? ''}`) } : {}),
    ...(rec.malformed.length ? { malformed: rec.malformed.map((m) => `${m.reason}: ${JSON.stringify(m.bytes.slice(0, 200))}`) } : {}),
  };
}

/** Runs one case through both proxies and returns what compareCase needs. */
export async function runCase(c: FuzzCase, ports: Ports, backend: RecordingBackend, run: Pick<DiffRun, 'quietMs' | 'maxMs' | 'stallMs'>): Promise<Record<ProxyName, { result: ExchangeResult; record: LaneRecord }> & { ref: Reference }> {
  // Requests the strict reference frames must all be answered (or refused
  // with a close): a proxy gets stallMs of silence before it counts as
  // stalled. What follows (a cut body, a broken head) may leave a proxy
  // waiting: quietMs.
  const ref = reference(c);
  const clean = ref.end === 'clean' && ref.count > 0;
  const methods = new Map(c.requests.map((q) => [q.tag, q.method]));
  const opts = { methods, expected: clean ? ref.count : c.requests.length, mustAnswer: ref.count, stallMs: run.stallMs, quietMs: run.quietMs, maxMs: run.maxMs + 5 * c.requests.length };
  const answers = [0, 0];
  const [m, n] = await Promise.all([
    exchange(ports.meshgate, c.steps, { ...opts, peer: { answers, me: 0, extendMs: run.stallMs }, upstreamAnswered: () => backend.answered('meshgate', c.lane) }),
    exchange(ports.nginx, c.steps, { ...opts, peer: { answers, me: 1, extendMs: run.stallMs }, upstreamAnswered: () => backend.answered('nginx', c.lane) }),
  ]);
  // A request a proxy sends late (or a smuggled one right behind the first) lands now.
  const start = Date.now();
  for (;;) {
    const last = Math.max(backend.lastAt('meshgate', c.lane), backend.lastAt('nginx', c.lane));
    if (Date.now() - last >= 15 || Date.now() - start > 300) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    meshgate: { result: m, record: backend.take('meshgate', c.lane) },
    nginx: { result: n, record: backend.take('nginx', c.lane) },
    ref,
  };
}

export async function runDifferential(ports: Ports, backend: RecordingBackend, run: DiffRun, sink: DiffSink, stats: DiffStats): Promise<void> {
  let nextId = run.firstId ?? 0;
  const loop = async (lane: number) => {
    let prev: FuzzCase | undefined;
    while (sink.going() && (run.count === undefined || nextId < run.count)) {
      const id = nextId++;
      const c = generateCase(run.seed, id, lane, run.mutateShare);
      if (run.skipFeatures?.some((f) => c.features.includes(f))) { stats.skipped++; continue; }
      for (const p of ['meshgate', 'nginx'] as const) {
        const late = backend.take(p, lane);
        const n = late.complete.length + late.malformed.length;
        if (n > 0 && prev) {
          stats.late += n;
          const smuggled = late.complete.filter((s) => s.tag && /\.s\d+$/.test(s.tag));
          if (smuggled.length) sink.report(smuggled.map((s) => ({ cls: 'smuggled', proxy: p, signature: `smuggled:${p}:late${markers(prev!)}`, detail: `after case ${prev!.id} ended, its backend got ${s.method} ${s.target} (${s.tag})` })), prev, {});
        }
      }
      const epoch = sink.restarts();
      sink.inflight.set(`d${id}`, c);
      const obs = await runCase(c, ports, backend, run);
      sink.inflight.delete(`d${id}`);
      const disturbed = sink.restarts() !== epoch;
      if (disturbed) stats.disturbed++;
      stats.cases++;
      stats.requests += c.requests.length;
      if (c.features.includes('flood')) stats.floodRequests += c.requests.length;
      const findings = compareCase(c, obs, disturbed, obs.ref);
      if (findings.length) sink.report(findings, c, { meshgate: summarize(obs.meshgate.result, obs.meshgate.record), nginx: summarize(obs.nginx.result, obs.nginx.record) });
      prev = c;
    }
  };
  await Promise.all(Array.from({ length: run.lanes }, (_, lane) => loop(lane)));
}
