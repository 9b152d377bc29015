/**
 * The hostile-backend runner: several kept-alive clients per hostile lane
 * send tagged requests through meshgate; the lane's backend answers each the
 * way its plan says (hostile-backend.ts). Every client must get its own
 * answer (its tag echoed) or a 5xx; never another's (a ghost or another
 * client's tag), never nothing while the connection stays open.
 */
import net from 'node:net';
import { Prng } from '../hardening/fuzz/prng.ts';
import { parseResponses, type Response } from './exchange.ts';
import type { Finding } from './compare.ts';
import type { FuzzCase } from './grammar.ts';
import { BEHAVIOUR_NAMES, type HostileBackend } from './hostile-backend.ts';
import { hostileHost } from './fuzz-mesh.ts';

export interface HostileRun {
  seed: number;
  lanes: number;
  clientsPerLane: number;
  /** Stop before this exchange id (undefined: only `stop()` ends it). */
  count?: number;
  firstId?: number;
  timeoutMs: number;
  /** Behaviours not to use (known bugs while they are open). */
  skip?: readonly string[];
}

export interface HostileSink {
  /** False once the run should end. */
  going(): boolean;
  /** Called with each exchange's findings and the exchange as a case (for saving). */
  report(findings: Finding[], c: FuzzCase): void;
  inflight: Map<string, FuzzCase>;
}

interface Outcome {
  response?: Response;
  /** The proxy sent the head of an answer, then closed before its end (the backend died mid-body: all a proxy can do). */
  truncatedEcho?: string;
  closed: boolean;
  timedOut: boolean;
  unsolicited?: Response[];
}

/** One kept-alive client connection: send a request, get the first response back. */
class Client {
  #sock: net.Socket | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #closed = true;
  #wake: (() => void) | undefined;

  #connect(port: number): void {
    const sock = this.#sock = net.connect({ port, host: '127.0.0.1' });
    sock.setNoDelay(true);
    this.#closed = false;
    this.#buf = Buffer.alloc(0);
    sock.on('data', (b: Buffer) => { this.#buf = Buffer.concat([this.#buf, b]); this.#wake?.(); });
    sock.on('error', () => {});
    sock.on('close', () => { if (this.#sock === sock) { this.#closed = true; this.#wake?.(); } });
  }

  async send(port: number, bytes: Buffer, method: string, timeoutMs: number): Promise<Outcome> {
    let unsolicited: Response[] | undefined;
    if (this.#buf.length > 0) {
      unsolicited = parseResponses(this.#buf, [] as string[], true).responses;
      this.#buf = Buffer.alloc(0);
    }
    if (this.#closed) this.#connect(port);
    this.#sock!.write(bytes);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponses(this.#buf, [method], this.#closed);
      if (parsed.responses.length > 0 || (parsed.garbage !== undefined && this.#closed)) {
        const response = parsed.responses[0];
        if (parsed.upgraded || parsed.garbage !== undefined) this.close();
        else this.#buf = Buffer.alloc(0);
        return { ...(response ? { response } : {}), closed: this.#closed, timedOut: false, ...(unsolicited?.length ? { unsolicited } : {}) };
      }
      if (this.#closed) {
        const head = this.#buf.toString('latin1', 0, Math.max(0, this.#buf.indexOf('\r\n\r\n')));
        const echo = /\r\nx-fuzz-echo: *([^\r]*)/i.exec(head)?.[1];
        return { closed: true, timedOut: false, ...(echo ? { truncatedEcho: echo } : {}), ...(unsolicited?.length ? { unsolicited } : {}) };
      }
      const left = deadline - Date.now();
      if (left <= 0) { this.close(); return { closed: false, timedOut: true }; }
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, left); this.#wake = () => { clearTimeout(t); resolve(); }; });
      this.#wake = undefined;
    }
  }

  close(): void { this.#sock?.destroy(); this.#closed = true; this.#buf = Buffer.alloc(0); }
}

/** Findings of one hostile exchange. */
export function judge(tag: string, behaviour: string, o: Outcome): Finding[] {
  const out: Finding[] = [];
  for (const u of o.unsolicited ?? []) out.push({ cls: 'mixup', proxy: 'meshgate', signature: `mixup:meshgate:unsolicited:${behaviour}`, detail: `before ${tag}, an answer nobody asked for: ${u.status} ${u.echo ?? ''}` });
  const r = o.response;
  if (o.timedOut) out.push({ cls: 'stall', proxy: 'meshgate', signature: `stall:meshgate:hostile:${behaviour}`, detail: `${tag}: no answer in time, connection open` });
  else if (!r && o.truncatedEcho !== undefined && o.truncatedEcho !== tag) out.push({ cls: 'mixup', proxy: 'meshgate', signature: `mixup:meshgate:${behaviour}`, detail: `${tag} got the (cut) answer of ${o.truncatedEcho}` });
  else if (!r && o.truncatedEcho === tag) { /* its own answer, cut short with the backend's connection */ } else if (!r) out.push({ cls: 'no-answer', proxy: 'meshgate', signature: `no-answer:meshgate:${behaviour}`, detail: `${tag}: connection closed without an answer` });
  else if (r.echo !== undefined && r.echo !== tag) out.push({ cls: 'mixup', proxy: 'meshgate', signature: `mixup:meshgate:${behaviour}`, detail: `${tag} got the answer of ${r.echo}` });
  else if (r.body.includes('ghost.')) out.push({ cls: 'mixup', proxy: 'meshgate', signature: `mixup:meshgate:bytes-of-another:${behaviour}`, detail: `${tag}: ${r.status}, its body or head holds another response's bytes: ${JSON.stringify(r.body.toString('latin1').slice(0, 120))}` });
  else if (r.echo === undefined && r.status < 500) out.push({ cls: 'bad-answer', proxy: 'meshgate', signature: `bad-answer:meshgate:${r.status}:${behaviour}`, detail: `${tag}: ${r.status} that is neither its own answer nor a 5xx` });
  return out;
}

export async function runHostile(port: number, backend: HostileBackend, run: HostileRun, sink: HostileSink, stats: { exchanges: number }): Promise<void> {
  let nextId = run.firstId ?? 0;
  const names = BEHAVIOUR_NAMES.filter((b) => !run.skip?.includes(b));
  const loop = async (lane: number) => {
    const client = new Client();
    while (sink.going() && (run.count === undefined || nextId < run.count)) {
      const id = nextId++;
      const r = new Prng((Math.imul(run.seed >>> 0, 2246822519) ^ Math.imul(id, 3266489917) ^ 0x68e31da4) >>> 0);
      const behaviour = r.pick(names);
      const tag = `hz.${lane}.${id}`;
      const method = r.pick(['GET', 'GET', 'GET', 'POST', 'HEAD']);
      const body = method === 'POST' ? 'hello' : '';
      const bytes = Buffer.from(`${method} /h/${id} HTTP/1.1\r\nHost: ${hostileHost(lane)}\r\nX-Fuzz-Tag: ${tag}\r\n${body ? `Content-Length: ${body.length}\r\n` : ''}\r\n${body}`, 'latin1');
      const c: FuzzCase = { id, lane, kind: 'hostile', steps: [bytes], requests: [{ tag, method, features: [behaviour] }], features: [`hostile:${behaviour}`] };
      backend.plans.set(tag, { behaviour, r });
      sink.inflight.set(tag, c);
      const o = await client.send(port, bytes, method, run.timeoutMs);
      sink.inflight.delete(tag);
      backend.plans.delete(tag);
      stats.exchanges++;
      sink.report(judge(tag, behaviour, o), c);
    }
    client.close();
  };
  const loops: Promise<void>[] = [];
  for (let lane = 0; lane < run.lanes; lane++) for (let k = 0; k < run.clientsPerLane; k++) loops.push(loop(lane));
  await Promise.all(loops);
}
