/**
 * Steady open-loop load with per-request accounting: `rps` GETs a second,
 * spread evenly whatever the answers do, on a keep-alive client pool (as a
 * real client or load balancer would hold connections), each with a
 * timeout. Every request is reported with when it started and ended and how
 * it ended: a status, or the client-side error (ECONNRESET, 'socket hang
 * up', timeout...).
 */
import http from 'node:http';

export interface RequestResult {
  start: number;
  end: number;
  status: number;
  error?: string;
  /** When the connection the request went out on was opened (a kept-alive one is older than the request). */
  connOpened: number;
}

const OPENED = Symbol('opened');

export interface Load {
  /** Requests sent so far whose outcome is not known yet. */
  inFlight(): number;
  sent(): number;
  /** Stops sending, waits for the requests in flight, closes the pool. */
  stop(): Promise<void>;
}

export interface LoadOptions {
  url: string;
  rps: number;
  timeoutMs?: number;
  maxSockets?: number;
  onResult(r: RequestResult): void;
}

export function startLoad(o: LoadOptions): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 64 });
  const timeoutMs = o.timeoutMs ?? 5_000;
  const pending = new Set<Promise<void>>();
  const one = () => new Promise<void>((resolve) => {
    const start = Date.now();
    let done = false;
    let connOpened = start;
    const finish = (r: Omit<RequestResult, 'start' | 'end' | 'connOpened'>) => {
      if (done) return;
      done = true;
      o.onResult({ start, end: Date.now(), connOpened, ...r });
      resolve();
    };
    const req = http.get(o.url, { agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => finish({ status: res.statusCode ?? 0 }));
      res.on('error', (e: NodeJS.ErrnoException) => finish({ status: 0, error: e.code ?? e.message }));
      res.on('aborted', () => finish({ status: 0, error: 'response aborted' }));
    });
    req.on('socket', (sock) => {
      const tagged = sock as typeof sock & { [OPENED]?: number };
      tagged[OPENED] ??= Date.now();
      connOpened = tagged[OPENED];
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`client timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => finish({ status: 0, error: e.code ?? e.message }));
  });
  const t0 = Date.now();
  let sent = 0;
  // A 10 ms clock sending however many requests are due keeps the rate exact even when timers run late.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) * o.rps) / 1000);
    while (sent < due) {
      sent++;
      const p = one();
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
  }, 10);
  return {
    inFlight: () => pending.size,
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
    },
  };
}
