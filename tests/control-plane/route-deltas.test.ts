/**
 * Route deltas end to end: a route change goes out as the rules that changed
 * (config.v1.routes), every worker patches its table instead of compiling
 * all of it, and the node ends at the config service's exact content (its
 * ACKs carry the stored snapshot's hash; a later endpoint delta, which the
 * node checks by hash, applies on top). A replacement worker starts from the
 * snapshot and the deltas since; a node restarted with NATS down serves the
 * deltas from its last-known-good record.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NatsKvStore, NatsTransport } from '@meshgate/actors';
import { allNodesSubject, msgpackCodec, readStoredSnapshot, subjects, MessageType, type AckMessage, type RoutesDeltaMessage } from '@meshgate/protocol';
import { configServiceStarted, request, startNatsServer, eventually, type NatsServer, type Proc } from '@meshgate/testing';
import { get, makeMeshDir, ready, services, startBackends, startConfigService, startProxy, status, type MeshDir, type ProxyProc } from './mesh.ts';

let nats: NatsServer;
let m: MeshDir;
let t: NatsTransport;
let config: Proc;
let proxy: ProxyProc;
const procs: Proc[] = [];
const routeDeltas: RoutesDeltaMessage[] = [];
const acks: AckMessage[] = [];
const S = subjects();

const ingress = (name: string, paths: string[]) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name} }
spec:
  rules: [{ http: { paths: [${paths.map((p) => `{ path: ${p}, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }`).join(', ')}] } }]
`;
const write = (name: string, paths: string[]) => fs.writeFileSync(path.join(m.manifests, `${name}.yaml`), ingress(name, paths));

before(async () => {
  nats = await startNatsServer();
  m = await makeMeshDir();
  t = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, name: 'route-delta-test' });
  t.subscribe(S.routes, (msg) => { routeDeltas.push(msg.data as RoutesDeltaMessage); });
  t.subscribe(allNodesSubject(S.ack), (msg) => { acks.push(msg.data as AckMessage); });
  config = startConfigService(m, nats.url);
  procs.push(...startBackends(m), config);
  await configServiceStarted(config);
  proxy = await startProxy(m, nats.url, 'rd-1', undefined, ['--workers', '2'], { MESHGATE_DEBUG_ENDPOINTS: '1' });
  procs.push(proxy.proc);
  await ready(proxy);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await t?.close();
  await nats?.stop();
  fs.rmSync(m.dir, { recursive: true, force: true });
});

/** The snapshot the config service stored: what every node must serve, hash for hash. */
async function stored(): Promise<{ version: number; hash: string }> {
  const s = await readStoredSnapshot(await NatsKvStore.open(t.connection, S.kvBucket));
  return { version: s!.snapshot.version, hash: s!.snapshot.hash };
}

/** Waits for a version newer than `after` to be stored, and for the node to serve exactly it. */
async function atStored(after = 0): Promise<void> {
  await eventually('the node serves the stored version', async () => {
    const [a, b] = [await status(proxy), await stored()];
    return b.version > after && a.version === b.version && a.hash === b.hash;
  }, 10_000);
}

test('a route change goes out as a route delta, small, and every worker serves it', async () => {
  const from = routeDeltas.length;
  const v0 = (await status(proxy)).version;
  write('rd-a', ['/rd-a', '/rd-a2']);
  await eventually('a route delta', async () => routeDeltas.length > from, 10_000);
  const d = routeDeltas[from]!;
  assert.equal(d.type, MessageType.RoutesDelta);
  assert.equal(d.base, v0);
  assert.ok(msgpackCodec.encode(d).length < 1024, `${msgpackCodec.encode(d).length} bytes`);
  await atStored();
  // Each of the two workers: the kernel spreads new connections over them.
  for (let i = 0; i < 8; i++) {
    assert.equal(await get(proxy, '/rd-a/x'), 200);
    assert.equal(await get(proxy, '/rd-a2'), 200);
  }
  assert.doesNotMatch(proxy.proc.output(), /refused/);
  // Each worker took it from NATS and ACKed it for itself; its ACK says when it started serving it.
  const mine = acks.filter((a) => a.version === d.version && a.ok);
  assert.deepEqual(mine.map((a) => [a.worker, a.workers]).sort(), [[0, 2], [1, 2]]);
  for (const ack of mine) assert.ok(ack.servingAt! > d.createdAt - 5 && ack.servingAt! <= ack.at + 1, `servingAt ${ack.servingAt} between the delta (${d.createdAt}) and the ACK (${ack.at})`);
  // The node's main thread hears of it from the workers (with their stats, within a second) and keeps the record.
  await eventually('the node records the delta', async () => /"route delta applied by the workers"/.test(proxy.proc.output()), 5_000);
});

test('a path removed and another changed by route deltas; an endpoint delta on top still matches the config service\'s content', async () => {
  let v = (await status(proxy)).version;
  write('rd-a', ['/rd-a']);
  await atStored(v);
  assert.equal(await get(proxy, '/rd-a2'), 404);
  assert.equal(await get(proxy, '/rd-a/y'), 200);
  // The endpoint delta's hash is checked by the node against the content it holds.
  const fromLog = proxy.proc.output().length;
  v = (await status(proxy)).version;
  fs.writeFileSync(path.join(m.manifests, 'services.yaml'), services(m, '127.0.0.2'));
  await atStored(v);
  assert.match(proxy.proc.output().slice(fromLog), /"endpoint delta applied"/);
  assert.doesNotMatch(proxy.proc.output().slice(fromLog), /refused|does not give the announced content/);
  v = (await status(proxy)).version;
  fs.writeFileSync(path.join(m.manifests, 'services.yaml'), services(m));
  await atStored(v);
});

test('an endpoint change right after a route delta applies on top of it, before the node heard of the delta from its workers', async () => {
  // The workers ACK a route delta at once and tell the node's main thread with their next stats;
  // an endpoint delta on the new version makes the main thread ask them first, not resync.
  const fromLog = proxy.proc.output().length;
  const from = routeDeltas.length;
  write('rd-then-ep', ['/rd-then-ep']);
  await eventually('a route delta', async () => routeDeltas.length > from, 10_000);
  const v = routeDeltas.at(-1)!.version;
  await eventually('both workers ACKed it', async () => acks.filter((a) => a.version === v && a.ok && a.worker !== undefined).length === 2, 10_000);
  fs.writeFileSync(path.join(m.manifests, 'services.yaml'), services(m, '127.0.0.3'));
  // Watched through the ACKs only: /status would make the node ask its workers first.
  await eventually('the node ACKed the endpoint delta', async () => acks.some((a) => a.ok && a.worker === undefined && a.version > v), 10_000);
  const log = proxy.proc.output().slice(fromLog);
  assert.match(log, /"endpoint delta applied"/);
  assert.doesNotMatch(log, /version gap|full resync|refused/);
  assert.equal(await get(proxy, '/rd-then-ep'), 200);
  fs.writeFileSync(path.join(m.manifests, 'services.yaml'), services(m));
  await atStored((await status(proxy)).version);
});

test('a replacement worker starts from the snapshot and the route deltas since (also once they are folded into one)', async () => {
  // 70 changes in a row: more than the node folds into a snapshot for new workers once it is quiet (32),
  // and than its last-known-good record keeps before taking the stored full snapshot as its base (64).
  // Both wait for a quiet second, so right after the changes a new worker gets the snapshot and 70 deltas.
  for (let i = 0; i < 70; i++) {
    write('rd-many', [`/many-${i}`]);
    await eventually(`change ${i}`, async () => (await get(proxy, `/many-${i}`)) === 200, 10_000);
  }
  await atStored();
  type Status = { version: number; workerVersions: number[]; workerRestarts: number; routeDeltas: number };
  const replaced = async (index: number, restarts: number) => {
    const r = await request(`http://127.0.0.1:${proxy.admin}/debug/kill-worker?index=${index}`, { method: 'POST' });
    assert.equal(r.status, 200, r.body);
    await eventually(`worker ${index} replaced and at the node version`, async () => {
      const s = await status(proxy) as unknown as Status;
      return s.workerRestarts >= restarts && s.workerVersions.every((v) => v === s.version);
    }, 20_000);
    for (let i = 0; i < 8; i++) {
      assert.equal(await get(proxy, '/many-69'), 200);
      assert.equal(await get(proxy, '/many-68'), 404);
      assert.equal(await get(proxy, '/rd-a/z'), 200);
    }
  };
  // (Normally ~70 deltas held here; a machine slow enough to idle a second mid-way folds them earlier.)
  await replaced(1, 1);
  // A quiet second later: folded into one snapshot, and the record on disk re-based.
  const lkgFile = path.join(m.dir, 'rd-1', 'last-known-good.snapshot');
  const onDisk = () => msgpackCodec.decode(fs.readFileSync(lkgFile)) as { snapshot: { version: number }; deltas: unknown[] };
  await eventually('deltas folded and the last-known-good record re-based', async () =>
    (await status(proxy) as unknown as Status).routeDeltas === 0 && onDisk().deltas.length < 64, 10_000);
  await replaced(0, 2);
  assert.ok(onDisk().snapshot.version > routeDeltas[0]!.version, 'the base moved on');
});

test('a worker replaced right after a route delta (before the node heard of it from the workers) still gets it', async () => {
  type Status = { version: number; workerVersions: number[]; workerRestarts: number };
  const restarts = (await status(proxy) as unknown as Status).workerRestarts;
  const from = routeDeltas.length;
  write('rd-late', ['/rd-late']);
  await eventually('a route delta', async () => routeDeltas.length > from, 10_000);
  const v = routeDeltas.at(-1)!.version;
  await eventually('both workers ACKed it', async () => acks.filter((a) => a.version === v && a.ok && a.worker !== undefined).length === 2, 10_000);
  // At once: the node's main thread hears of the delta with the workers' next stats, up to a second later.
  const r = await request(`http://127.0.0.1:${proxy.admin}/debug/kill-worker?index=1`, { method: 'POST' });
  assert.equal(r.status, 200, r.body);
  await eventually('worker 1 replaced and serving the delta', async () => {
    const s = await status(proxy) as unknown as Status;
    return s.workerRestarts > restarts && s.version === v && s.workerVersions.every((x) => x === v);
  }, 20_000);
  for (let i = 0; i < 8; i++) assert.equal(await get(proxy, '/rd-late'), 200);
});

test('a node restarted with NATS down serves the route deltas it had applied (last-known-good)', async () => {
  write('rd-last', ['/rd-last']);
  await eventually('/rd-last', async () => (await get(proxy, '/rd-last')) === 200, 10_000);
  await atStored();
  const { version, hash } = await status(proxy);
  await proxy.proc.stop();
  await config.stop();
  await nats.stop();
  const again = await startProxy(m, nats.url, 'rd-1', { http: proxy.http, admin: proxy.admin });
  procs.push(again.proc);
  await ready(again);
  assert.deepEqual(await status(again).then((s) => [s.version, s.hash]), [version, hash]);
  assert.equal(await get(again, '/rd-last'), 200);
  assert.equal(await get(again, '/many-69'), 200);
  assert.match(again.proc.output(), /serving the last-known-good snapshot from disk/);
});
