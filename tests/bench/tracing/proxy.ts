/**
 * One meshgate proxy node for the tracing benchmark: 1 worker, plain HTTP on
 * HTTP_PORT, one route /users/ to the nginx upstream on UP_USERS, its snapshot
 * built as the config service builds it and served over an in-process
 * transport (no NATS: nothing but the request path competes for the core).
 * Tracing comes from the standard OTEL_* variables of this process, read by
 * the worker's own SDK. Access log off. Stops cleanly on SIGTERM, so that
 * --cpu-prof writes its profiles.
 */
import { LocalTransport } from '@meshgate/actors';
import { buildMeshConfig } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, subjects } from '@meshgate/protocol';
import { startProxyNode } from '@meshgate/proxy-node';
import { createLogger } from '@meshgate/telemetry';
import { dataPlaneLimitsFromEnv } from '@meshgate/cli';

process.env.MESHGATE_ACCESS_LOG ??= 'off';
const need = (k: string): string => process.env[k] || (() => { throw new Error(`${k} is required`); })();
const manifests = `apiVersion: v1
kind: Service
metadata: { name: users }
spec: { ports: [{ name: http, port: 80, targetPort: ${need('UP_USERS')} }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: users }
subsets: [{ addresses: [{ ip: 127.0.0.1 }], ports: [{ name: http, port: ${need('UP_USERS')} }] }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: app }
spec:
  rules:
  - http:
      paths:
      - { path: /users/, pathType: Prefix, backend: { service: { name: users, port: { number: 80 } } } }
`;
const cfg = buildMeshConfig([{ path: 'bench.yaml', text: manifests }]);
if (cfg.errors.length) throw new Error(JSON.stringify(cfg.errors));
const snap = encodeSnapshot(snapshotContentOf(cfg), 1);
const transport = new LocalTransport();
transport.subscribe(subjects().snapshotGet, (m) => m.reply?.(snap));
const node = await startProxyNode({
  transport, log: createLogger('meshgate-bench', { level: 'warn' }), nodeId: 'bench',
  http: { host: '127.0.0.1', port: Number(need('HTTP_PORT')) },
  admin: { host: '127.0.0.1', port: 0 }, workers: 1,
  // The limits `meshgate proxy` would take from these MESHGATE_* variables (MESHGATE_ACCESS_LOG above).
  limits: dataPlaneLimitsFromEnv(),
});
await node.whenReady(30_000);
console.log(`meshgate: 1 worker on http ${need('HTTP_PORT')}`);
process.once('SIGTERM', () => { void node.stop().then(() => process.exit(0)); setTimeout(() => process.exit(0), 5_000).unref(); });
