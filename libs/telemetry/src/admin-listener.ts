import http from 'node:http';

export interface AdminHandlers {
  /** Prometheus text. */
  metrics(): string | Promise<string>;
  /** JSON for humans; optional. */
  status?(): unknown | Promise<unknown>;
}

export interface AdminListener {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The small admin listener of the config service and the health agent:
 * `/healthz` (the process is alive), `/metrics` (Prometheus text), `/status`
 * (JSON). Proxy nodes have their own, with `/readyz`.
 */
export async function startAdminListener(addr: { host: string; port: number }, h: AdminHandlers): Promise<AdminListener> {
  const server = http.createServer((req, res) => {
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    const run = async () => {
      if (path === '/healthz') return send(200, 'ok\n');
      if (path === '/metrics') return send(200, await h.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
      if (path === '/status' && h.status) return send(200, JSON.stringify(await h.status(), null, 2) + '\n', 'application/json');
      return send(404, `not found: try /healthz, /metrics${h.status ? ', /status' : ''}\n`);
    };
    run().catch((err) => send(500, `${(err as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => { server.off('error', reject); resolve(); });
  });
  const a = server.address() as { port: number };
  return {
    url: `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${a.port}`,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
