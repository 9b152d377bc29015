/**
 * The image's health check: one script for every meshgate command, run by
 * Docker inside the container with the container's environment.
 *
 *   healthcheck.ts                  proxy: GET its admin /healthz (address from
 *                                   MESHGATE_ADMIN, default 127.0.0.1:9901)
 *   healthcheck.ts URL              GET the URL, healthy on 2xx (demo backends)
 *   healthcheck.ts config-service   ask the config service for the latest
 *                                   snapshot over NATS (with this container's
 *                                   MESHGATE_NATS_* settings): it answers
 *   healthcheck.ts health-agent     this agent's liveness broadcast
 *                                   (MESHGATE_AGENT_ID) arrives; an agent sends
 *                                   its full view every 5 s while it has
 *                                   endpoints to probe
 *
 * Exits 0 when healthy, else 1 with one line saying why (Docker keeps it:
 * `docker inspect --format '{{json .State.Health}}' CONTAINER`).
 */
import http from 'node:http';
import type { NatsTransport } from '@meshgate/actors';

const DEADLINE_MS = Number(process.env.MESHGATE_HEALTHCHECK_TIMEOUT_MS ?? 8_000);
const env = process.env;

function fail(why: string): never {
  process.stdout.write(`unhealthy: ${why}\n`);
  process.exit(1);
}

function ok(what: string): never {
  process.stdout.write(`healthy: ${what}\n`);
  process.exit(0);
}

/** The admin URL a proxy listens on, from the same variable its --admin flag reads. */
function adminHealthz(): string {
  const raw = env.MESHGATE_ADMIN ?? '127.0.0.1:9901';
  const m = /^(?:(.*):)?(\d+)$/.exec(raw.trim());
  if (!m) fail(`MESHGATE_ADMIN '${raw}' is not HOST:PORT`);
  let host = m[1] || '127.0.0.1';
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1';
  return `http://${host}:${m[2]}/healthz`;
}

function httpCheck(url: string): void {
  const req = http.get(url, { timeout: DEADLINE_MS }, (res) => {
    res.resume();
    const code = res.statusCode ?? 0;
    if (code >= 200 && code < 300) ok(`${url} answered ${code}`);
    fail(`${url} answered ${code}`);
  });
  req.on('timeout', () => req.destroy(new Error(`no answer within ${DEADLINE_MS} ms`)));
  req.on('error', (e) => fail(`${url}: ${e.message}`));
}

// The NATS checks load the mesh's libraries; the HTTP ones (every proxy and
// backend, every few seconds) stay a bare node start.
const protocol = () => import('@meshgate/protocol');

async function connect(): Promise<NatsTransport> {
  const { NatsTransport } = await import('@meshgate/actors');
  const { msgpackCodec } = await protocol();
  const servers = (env.MESHGATE_NATS_URL ?? env.MESHGATE_NATS ?? 'nats://127.0.0.1:4222').split(',').map((s) => s.trim()).filter(Boolean);
  return await NatsTransport.connect({
    servers, name: 'meshgate-healthcheck', codec: msgpackCodec, reconnect: false,
    user: env.MESHGATE_NATS_USER, pass: env.MESHGATE_NATS_PASS, token: env.MESHGATE_NATS_TOKEN,
  });
}

async function configServiceCheck(): Promise<void> {
  const { MessageType, subjects } = await protocol();
  const s = subjects(env.MESHGATE_SUBJECT_PREFIX || 'meshgate');
  const t = await connect();
  try {
    const reply = await t.request<{ type?: string }>(s.snapshotGet, { type: MessageType.SnapshotGet, have: 0 }, DEADLINE_MS - 1_000);
    ok(`config service answered on ${s.snapshotGet} (${reply?.type ?? 'no type'})`);
  } catch (err) {
    fail(`no answer on ${s.snapshotGet}: ${(err as Error).message}`);
  }
}

async function healthAgentCheck(): Promise<void> {
  const agent = env.MESHGATE_AGENT_ID;
  if (!agent) fail('health-agent check needs MESHGATE_AGENT_ID (the agent id to look for)');
  const { subjects } = await protocol();
  const s = subjects(env.MESHGATE_SUBJECT_PREFIX || 'meshgate');
  const t = await connect();
  t.subscribe(s.liveness, (m) => {
    const msg = m.data as { agent?: string; kind?: string };
    if (msg.agent === agent) ok(`agent ${agent} broadcast liveness (${msg.kind})`);
  });
  setTimeout(() => fail(`no liveness from agent ${agent} on ${s.liveness} within ${DEADLINE_MS - 500} ms`), DEADLINE_MS - 500);
}

// However a check goes, the process ends before Docker's own timeout.
setTimeout(() => fail(`no verdict within ${DEADLINE_MS} ms`), DEADLINE_MS);
const arg = process.argv[2];
if (arg === undefined) httpCheck(adminHealthz());
else if (/^https?:\/\//.test(arg)) httpCheck(arg);
else if (arg === 'config-service') await configServiceCheck();
else if (arg === 'health-agent') await healthAgentCheck();
else fail(`unknown check '${arg}': use no argument (proxy), a URL, config-service or health-agent`);
