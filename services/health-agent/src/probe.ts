import http from 'node:http';

export interface ProbeTarget {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** HTTP path to GET; the Service annotation meshgate.dev/health-path, default '/'. */
  readonly path: string;
}

export interface ProbeResult { ok: boolean; reason: string }

/**
 * One active HTTP check: GET path, healthy on 2xx/3xx, within timeoutMs.
 * A fresh connection each time (no agent): a probe must see a dead listener,
 * not a pooled socket that happens to still be open.
 */
export function probeHttp(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: ProbeResult) => { if (!settled) { settled = true; resolve(r); } };
    const req = http.request({
      host: t.address, port: t.port, path: t.path, method: 'GET', agent: false,
      headers: { 'user-agent': 'meshgate-health-agent', connection: 'close' },
    }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      settle({ ok: code >= 200 && code < 400, reason: `HTTP ${code}` });
    });
    req.setTimeout(timeoutMs, () => { settle({ ok: false, reason: `timeout after ${timeoutMs} ms` }); req.destroy(); });
    req.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, reason: `connect ${err.code ?? err.message}` }));
    req.end();
  });
}
