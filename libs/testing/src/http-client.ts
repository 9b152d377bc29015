import http from 'node:http';
import https from 'node:https';

export interface SimpleResponse { status: number; headers: http.IncomingHttpHeaders; body: string }

/**
 * One request on a fresh connection (no keep-alive), so every call goes
 * through the kernel's reusePort balancing like a new client would. Network
 * errors resolve as status 0 with the error code as body, which keeps
 * polling loops simple.
 */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; ca?: string; servername?: string; rejectUnauthorized?: boolean; cert?: string; key?: string } = {}): Promise<SimpleResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = mod.request(u, {
      method: opts.method ?? 'GET', headers: opts.headers, agent: false,
      ca: opts.ca, servername: opts.servername, rejectUnauthorized: opts.rejectUnauthorized ?? (opts.ca !== undefined),
      ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, headers: {}, body: e.code ?? e.message }));
    });
    req.setTimeout(opts.timeoutMs ?? 5_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, headers: {}, body: e.code ?? e.message }));
    req.end(opts.body);
  });
}

/** Polls `fn` until it returns true; returns the elapsed ms, or throws with `what` after timeoutMs. */
export async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
