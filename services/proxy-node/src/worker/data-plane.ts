/**
 * Piscina worker entry: one long-running `serve` task per worker thread. Each
 * worker is a complete data plane (listeners with reusePort, TLS, routing,
 * upstream pools), like an Envoy worker; the kernel spreads connections over
 * the workers. The task ends when the node asks it to drain.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { Liveness, UpstreamPools } from '@meshgate/upstream';
import { compileSnapshot, type CompiledConfig } from './compiled-config.ts';
import { TlsStore } from './tls-store.ts';
import { createProxyHandler } from './proxy-handler.ts';
import { AccessLog } from './access-log.ts';
import type { AppliedSnapshot, FromWorker, ListenAddress, ServeTask, ToWorker } from './messages.ts';

export default async function serve(task: ServeTask): Promise<string> {
  const { port, index } = task;
  const post = (m: FromWorker) => port.postMessage(m);
  const liveness = new Liveness();
  if (task.liveness) liveness.replace(task.liveness);
  const pools = new UpstreamPools();
  const accessLog = new AccessLog(process.env.MESHGATE_ACCESS_LOG !== 'off');
  const counters: Record<string, number> = {};
  let current: CompiledConfig | undefined;
  let tlsStore = new TlsStore([]);

  const handler = createProxyHandler({
    config: () => current,
    pools,
    accessLog,
    nodeId: task.nodeId,
    worker: index,
    counters,
    // Passive health: a refused connection takes the endpoint out of this
    // worker's rotation for a moment, before any agent has noticed.
    onConnectFailure: (ep) => liveness.eject(ep.id, 1_000),
  });

  const servers: net.Server[] = [];
  const httpServer = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 30_000, requestTimeout: 0 }, handler);
  servers.push(httpServer);
  let httpsServer: https.Server | undefined;
  if (task.https) {
    httpsServer = https.createServer({
      SNICallback: (name, cb) => {
        const ctx = tlsStore.find(name);
        if (ctx) cb(null, ctx);
        else cb(new Error(`no certificate for ${name}`));
      },
      keepAliveTimeout: 65_000,
    }, handler);
    servers.push(httpsServer);
  }

  let listening = false;
  const listenAll = async () => {
    await listen(httpServer, task.http);
    if (httpsServer && task.https) await listen(httpsServer, task.https);
    listening = true;
    post({ type: 'worker.v1.listening', index });
  };

  const apply = async (snap: AppliedSnapshot) => {
    const t0 = performance.now();
    try {
      const next = compileSnapshot(snap, liveness);
      const nextTls = new TlsStore(next.content.tls);
      // The swap: one reference each. In-flight requests keep the config they read.
      current = next;
      tlsStore = nextTls;
      // Clients without SNI (an IP address in the URL) get the default certificate.
      if (httpsServer && nextTls.defaultPem) httpsServer.setSecureContext({ ...nextTls.defaultPem, minVersion: 'TLSv1.2' });
      pools.retain(new Set(next.content.backends.flatMap((b) => b.endpoints.map((e) => e.id))));
      if (!listening) await listenAll();
      post({ type: 'worker.v1.applied', index, version: snap.version, hash: snap.hash, durationMs: performance.now() - t0 });
    } catch (err) {
      post({ type: 'worker.v1.rejected', index, version: snap.version, error: (err as Error).message });
      if (!listening) throw err;
    }
  };

  const stats = setInterval(() => {
    let open = 0;
    for (const s of servers) open += (s as net.Server & { _connections?: number })._connections ?? 0;
    post({ type: 'worker.v1.stats', index, requests: { ...counters }, open });
  }, 1000);
  stats.unref();

  return await new Promise<string>((resolve, reject) => {
    let chain = Promise.resolve();
    port.on('message', (msg: ToWorker) => {
      switch (msg.type) {
        case 'worker.v1.snapshot':
          chain = chain.then(() => apply(msg.snapshot)).catch(reject);
          break;
        case 'worker.v1.liveness':
          if (msg.kind === 'full') liveness.replace(msg.endpoints);
          else for (const e of msg.endpoints) liveness.setHealthy(e.endpoint, e.healthy, e.reason);
          break;
        case 'worker.v1.drain':
          clearInterval(stats);
          drain(servers, msg.graceMs).then(async () => {
            accessLog.close();
            await pools.close();
            port.close();
            resolve(`worker ${index} drained`);
          }, reject);
          break;
      }
    });
    if (task.snapshot) chain = chain.then(() => apply(task.snapshot!)).catch(reject);
  });
}

async function listen(server: net.Server, addr: ListenAddress): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // reusePort: every worker (and every proxy node on this host) binds the
    // same port and the kernel balances new connections between them.
    server.listen({ host: addr.host, port: addr.port, reusePort: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, lets in-flight requests finish for up to graceMs, then closes what is left. */
async function drain(servers: net.Server[], graceMs: number): Promise<void> {
  const closed = servers.map((s) => new Promise<void>((r) => { if (!s.listening) r(); else s.close(() => r()); }));
  for (const s of servers) (s as http.Server).closeIdleConnections?.();
  const timer = setTimeout(() => { for (const s of servers) (s as http.Server).closeAllConnections?.(); }, graceMs);
  await Promise.all(closed);
  clearTimeout(timer);
}
