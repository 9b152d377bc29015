/**
 * Liveness (health.v1.liveness) is signed by the health agents and verified
 * by the proxies, on a nats-server running the documented permissions
 * (infra/compose/nats/auth.conf), where the `health-agent` login may publish
 * anything under meshgate.health:
 *
 * - with that login but no agent key, a forger's messages (unsigned, signed
 *   by a stranger, altered, old) mark nothing down on a proxy that has
 *   --agent-trust-key; the same unsigned message does on a proxy without
 *   (which warned once at start);
 * - a message signed with a trusted agent key marks an endpoint down and up;
 *   played back later it is refused, like a captured real one;
 * - two agents under different keys both count.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { NatsTransport } from '@meshgate/actors';
import {
  MessageType, msgpackCodec, signLiveness, subjects,
  type LivenessViewPart,
} from '@meshgate/protocol';
import { eventually, request, spawnMeshgate, startNatsServer, type NatsServer, type Proc } from '@meshgate/testing';
import { get, makeMeshDir, ready, startBackends, startProxy, type MeshDir, type ProxyProc } from '../control-plane/mesh.ts';
import { AUTH_CONF, as, keyPairIn, loginOf, startSecuredMesh, type SecuredMesh } from './nats-mesh.ts';

const S = subjects('meshgate');

let nats: NatsServer;
let m: MeshDir;
let mesh: SecuredMesh;
let open: ProxyProc;
let backends: Proc[];
let agentB: Proc | undefined;
/** Logged in as a health agent: may publish (and read) anything under meshgate.health. */
let forger: NatsTransport;
const captured: LivenessViewPart[] = [];

const keyPair = (name: string) => keyPairIn(m.dir, name);
let A: ReturnType<typeof keyPair>;
let B: ReturnType<typeof keyPair>;
let stranger: ReturnType<typeof keyPair>;

const usersEndpoint = () => `127.0.0.1:${m.usersPort}`;
let seq = 0;
const boot = Date.now();
/** A liveness delta about the users backend, as an agent would send it (unsigned). */
function liveness(agent: string, healthy: boolean, over: Partial<LivenessViewPart> = {}): LivenessViewPart {
  const now = Date.now();
  return {
    type: MessageType.Liveness, agent, kind: 'delta', seq: ++seq, boot, at: now,
    endpoints: [{ endpoint: usersEndpoint(), healthy, reason: healthy ? 'test says up' : 'test says down', since: now }], ...over,
  };
}

async function livenessOn(p: ProxyProc): Promise<{ endpoint: string; healthy: boolean; agent: string }[]> {
  const r = await request(`http://127.0.0.1:${p.admin}/status`);
  return r.status === 200 ? (JSON.parse(r.body) as { liveness: { endpoint: string; healthy: boolean; agent: string }[] }).liveness : [];
}

let markers = 0;
/**
 * Everything the forger published before has been handled by `p` once a
 * signed message published after it shows in p's liveness (one
 * connection, one order; the node handles liveness in order too).
 */
async function handled(p: ProxyProc): Promise<void> {
  const endpoint = `marker:${++markers}`;
  forger.publish(S.liveness, signLiveness({ ...liveness('marker', true), endpoints: [{ endpoint, healthy: true, reason: 'marker', since: Date.now() }] }, B.key));
  await eventually(`marker ${endpoint} reached ${p.nodeId}`, async () => (await livenessOn(p)).some((l) => l.endpoint === endpoint), 10_000);
}

before(async () => {
  nats = await startNatsServer({ config: fs.readFileSync(AUTH_CONF, 'utf8') });
  m = await makeMeshDir();
  [A, B, stranger] = [keyPair('agent-a'), keyPair('agent-b'), keyPair('stranger')];
  backends = startBackends(m);
  mesh = await startSecuredMesh(nats.url, {
    configService: as('config-service'),
    proxy: { ...as('proxy'), args: ['--agent-trust-key', `${A.trust},${B.trust}`] },
    agent: { ...as('health-agent'), args: ['--signing-key', A.signing] },
  }, m);
  // The same mesh, a proxy without agent keys.
  open = await startProxy(m, nats.url, 'open-1', undefined, [], as('proxy').env);
  await ready(open, 30_000);
  forger = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('health-agent') });
  // What the real agent sends (not what this test publishes in its name).
  forger.subscribe(S.liveness, (msg) => { const l = msg.data as LivenessViewPart; if (l.agent === 'secured-agent' && l.boot !== boot) captured.push(l); });
  await forger.flush();
  for (const p of [mesh.proxy, open]) {
    await eventually(`${p.nodeId} serves /users/ with the agent's verdicts`, async () => (await get(p, '/users/')) === 200
      && (await livenessOn(p)).some((l) => l.endpoint === usersEndpoint() && l.healthy), 20_000);
  }
});

after(async () => {
  await forger?.close();
  await agentB?.stop();
  await open?.proc.stop();
  await mesh?.stop();
  await Promise.all((backends ?? []).map((b) => b.stop()));
  await nats?.stop();
});

test('with agent keys, forged liveness (unsigned, another key, altered, old) marks nothing down; without, it does', async () => {
  const signedUp = signLiveness(liveness('secured-agent', true), A.key);
  const forged = [
    liveness('secured-agent', false),
    signLiveness(liveness('secured-agent', false), stranger.key),
    { ...signedUp, endpoints: [{ ...signedUp.endpoints[0]!, healthy: false }] },
    signLiveness(liveness('secured-agent', false, { at: Date.now() - 10 * 60_000 }), A.key),
  ];
  for (const f of forged) forger.publish(S.liveness, f);
  await handled(mesh.proxy);
  assert.equal(await get(mesh.proxy, '/users/'), 200);
  assert.ok((await livenessOn(mesh.proxy)).find((l) => l.endpoint === usersEndpoint())?.healthy, 'the users endpoint is still up');
  const out = mesh.proxy.proc.output();
  for (const why of [/unsigned, but this node trusts agent key/, new RegExp(`signed by key ${stranger.keyId}, not one of the trusted`), /signature does not verify/, /more than 60 s from this node's clock/]) {
    assert.match(out, new RegExp(`"liveness refused".*${why.source}`), `refused: ${why}`);
  }
  assert.match(out, new RegExp(`"liveness verified","agentKeys":\\["${A.keyId}","${B.keyId}"\\]`));

  // The proxy without agent keys takes the unsigned message (and said so once, at start).
  assert.equal(open.proc.output().match(/no --agent-trust-key: unsigned liveness is accepted/g)?.length, 1);
  forger.publish(S.liveness, liveness('secured-agent', false));
  await eventually('the unsigned "down" takes the users endpoint out on the node without keys', async () => (await get(open, '/users/')) === 503, 10_000);
  forger.publish(S.liveness, liveness('secured-agent', true));
  await eventually('and back', async () => (await get(open, '/users/')) === 200, 10_000);
});

test('a message signed with a trusted agent key marks the endpoint down and up; played back later it is refused', async () => {
  const down = signLiveness(liveness('ops-check', false), A.key);
  forger.publish(S.liveness, down);
  await eventually('signed "down": /users/ has no healthy endpoint', async () => (await get(mesh.proxy, '/users/')) === 503, 10_000);
  assert.equal((await livenessOn(mesh.proxy)).find((l) => l.endpoint === usersEndpoint())?.agent, `ops-check@${A.keyId}`);
  forger.publish(S.liveness, signLiveness(liveness('ops-check', true), A.key));
  await eventually('signed "up": served again', async () => (await get(mesh.proxy, '/users/')) === 200, 10_000);

  // Played back: the captured "down", and a real message of the real agent.
  const real = captured.at(-1);
  assert.ok(real?.signature, 'the real agent signs its liveness');
  forger.publish(S.liveness, down);
  forger.publish(S.liveness, real);
  await handled(mesh.proxy);
  assert.equal(await get(mesh.proxy, '/users/'), 200);
  const replays = mesh.proxy.proc.output().match(/"liveness refused".*already seen.*replayed.*/g) ?? [];
  assert.ok(replays.some((l) => l.includes('\\"ops-check\\"')), 'the played-back "down" is refused');
  assert.ok(replays.some((l) => l.includes('\\"secured-agent\\"')), 'the played-back real message is refused');
});

test('two agents under different keys: the second agent\'s verdicts are served too', async () => {
  const before = mesh.proxy.proc.output().length;
  agentB = spawnMeshgate(['health-agent', '--nats', nats.url, '--agent-id', 'agent-b', '--trust-key', m.trust, '--signing-key', B.signing], { env: as('health-agent').env! });
  // The second agent's first verdicts are newer than the first's: they win on every endpoint.
  await eventually('agent-b\'s verdict wins on the users endpoint', async () => (await livenessOn(mesh.proxy)).find((l) => l.endpoint === usersEndpoint())?.agent === `agent-b@${B.keyId}`, 20_000);
  assert.equal(await get(mesh.proxy, '/users/'), 200);
  assert.doesNotMatch(mesh.proxy.proc.output().slice(before), /"liveness refused"[^\n]*agent-b/);
});
