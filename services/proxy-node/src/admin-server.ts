import http from 'node:http';
import type { ListenAddress } from './worker/messages.ts';

export interface AdminStatus {
  ready: boolean;
  draining: boolean;
  metrics(): string;
  status(): unknown;
  /** Brings the node's view up to date first: the workers' statistics, and (direct mode) the route deltas they applied and have not reported yet. */
  sync?(): Promise<void>;
  /** Ends one worker thread as a crash would (WorkerPool.terminateWorker); behind MESHGATE_DEBUG_ENDPOINTS=1. */
  killWorker?(index: number): Promise<boolean>;
}

/**
 * The node's admin listener: /healthz (the process is alive), /readyz (200
 * only once every worker serves a snapshot; 503 while draining), /metrics
 * (Prometheus text), /status (JSON, for humans and `meshgate get`).
 *
 * With MESHGATE_DEBUG_ENDPOINTS=1 (chaos tests, never production) it also
 * serves `POST /debug/kill-worker?index=N`: worker N's thread is terminated
 * abruptly and the pool replaces it. Without the variable the path is a 404
 * like any unknown one.
 */
export async function startAdminServer(addr: ListenAddress, node: AdminStatus): Promise<http.Server> {
  const debugEndpoints = process.env.MESHGATE_DEBUG_ENDPOINTS === '1';
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
      case '/metrics':
      case '/status': {
        const answer = () => (path === '/metrics'
          ? send(200, node.metrics(), 'text/plain; version=0.0.4; charset=utf-8')
          : send(200, JSON.stringify(node.status(), null, 2) + '\n', 'application/json'));
        if (!node.sync) return answer();
        node.sync().then(answer, answer);
        return;
      }
      case '/debug/kill-worker': {
        if (!debugEndpoints || !node.killWorker) break;
        if (req.method !== 'POST') return send(405, 'method not allowed: POST /debug/kill-worker?index=N\n');
        const raw = new URL(req.url ?? '/', 'http://admin').searchParams.get('index') ?? '';
        const index = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (Number.isNaN(index)) return send(400, `bad index '${raw}': POST /debug/kill-worker?index=N with N a worker number from 0\n`);
        node.killWorker(index).then(
          (killed) => killed ? send(200, `worker ${index} terminated\n`) : send(409, `worker ${index} is not running (no such worker, or it is being replaced)\n`),
          (err: unknown) => send(500, `terminating worker ${index} failed: ${(err as Error).message}\n`),
        );
        return;
      }
    }
    return send(404, 'not found: try /healthz, /readyz, /metrics, /status\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
