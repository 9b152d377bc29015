import http from 'node:http';
import type { ListenAddress } from './worker/messages.ts';

export interface AdminStatus {
  ready: boolean;
  draining: boolean;
  metrics(): string;
  status(): unknown;
}

/**
 * The node's admin listener: /healthz (the process is alive), /readyz (200
 * only once every worker serves a snapshot; 503 while draining), /metrics
 * (Prometheus text), /status (JSON, for humans and `meshgate get`).
 */
export async function startAdminServer(addr: ListenAddress, node: AdminStatus): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    switch (path) {
      case '/healthz': return send(200, 'ok\n');
      case '/readyz':
        if (node.draining) return send(503, 'draining\n');
        return node.ready ? send(200, 'ready\n') : send(503, 'not ready: waiting for a snapshot in every worker\n');
      case '/metrics': return send(200, node.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
      case '/status': return send(200, JSON.stringify(node.status(), null, 2) + '\n', 'application/json');
      default: return send(404, 'not found: try /healthz, /readyz, /metrics, /status\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
