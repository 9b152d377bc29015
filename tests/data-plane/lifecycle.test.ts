/**
 * Worker supervision and graceful stop: a worker killed under load is
 * replaced and handed the node's current snapshot while the others keep
 * serving; a drain (what SIGTERM runs) turns /readyz 503, closes the
 * listeners, lets in-flight requests finish, and is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { buildMeshConfig } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, unpackSnapshotBody } from '@meshgate/protocol';
import { WorkerPool } from '@meshgate/proxy-node';
import { createLogger } from '@meshgate/telemetry';
import { eventually, freePort, request } from '@meshgate/testing';
import { startBackend, startMesh, service, ingress } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

function packed(files: Record<string, string>, version: number) {
  const snap = encodeSnapshot(snapshotContentOf(buildMeshConfig(Object.entries(files).map(([path, text]) => ({ path, text })))), version);
  return { version, hash: snap.hash, packed: unpackSnapshotBody(snap) };
}

test('a worker killed under load is replaced with the current snapshot; the others keep serving', async () => {
  const echo = await startBackend('echo');
  const httpPort = await freePort();
  const applied: { index: number; version: number }[] = [];
  const exits: number[] = [];
  const pool = new WorkerPool({
    count: 2, nodeId: 'kill-test', http: { host: '127.0.0.1', port: httpPort }, log: createLogger('test', { level: 'silent' }),
    onMessage: (m) => { if (m.type === 'worker.v1.applied') applied.push({ index: m.index, version: m.version }); },
    onWorkerExit: (index) => exits.push(index),
  });
  const files = { 'svc.yaml': service('echo', [echo.port]), 'ing.yaml': ingress('one', { '/one': 'echo' }) };
  pool.setSnapshot(packed(files, 1));
  pool.start();
  let stop = false;
  try {
    await eventually('both workers applied v1', async () => applied.filter((a) => a.version === 1).length === 2, 15_000);
    // A newer snapshot: the replacement must get this one, not the one the pool started with.
    pool.setSnapshot(packed({ ...files, 'ing.yaml': ingress('two', { '/two': 'echo' }) }, 2));
    await eventually('both workers applied v2', async () => applied.filter((a) => a.version === 2).length === 2, 10_000);

    let ok = 0;
    let failed = 0;
    let okAfterKill = 0;
    let killed = false;
    const load = Promise.all(Array.from({ length: 4 }, async () => {
      while (!stop) {
        const r = await request(`http://127.0.0.1:${httpPort}/two/`, { timeoutMs: 2_000 });
        if (r.status === 200) { ok++; if (killed) okAfterKill++; } else failed++;
      }
    }));
    await eventually('load flowing', async () => ok > 20, 10_000);
    assert.equal(await pool.terminateWorker(0), true);
    killed = true;
    await eventually('worker 0 replaced with snapshot v2', async () => exits.includes(0) && applied.filter((a) => a.index === 0 && a.version === 2).length === 2, 15_000);
    const before = okAfterKill;
    await eventually('still serving after the replacement', async () => okAfterKill > before + 20, 10_000);
    stop = true;
    await load;
    assert.ok(failed <= 8, `${failed} requests failed (only those in flight on the killed worker may)`);
    assert.ok(okAfterKill > 20);
  } finally {
    stop = true;
    await pool.drain(1_000);
    await echo.close();
  }
});

test('drain: /readyz 503, listener closed, in-flight requests finish, idle keep-alive closed, all bounded', async () => {
  const echo = await startBackend('echo');
  const mesh = await startMesh({ 'svc.yaml': service('echo', [echo.port]), 'ing.yaml': ingress('main', { '/': 'echo' }) }, { workers: 2, drainMs: 2_500 });
  try {
    const agent = new http.Agent({ keepAlive: true });
    let idleSocketClosed!: Promise<void>;
    const status = await new Promise<number>((resolve) => {
      const req = http.get(`${mesh.http}/`, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      req.once('socket', (s) => { idleSocketClosed = new Promise<void>((r) => s.once('close', () => r())); });
    });
    assert.equal(status, 200);

    const inflight = request(`${mesh.http}/slow/1000`, { timeoutMs: 5_000 });
    const tooSlow = request(`${mesh.http}/slow/10000`, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const stopped = mesh.stop();
    await eventually('readyz 503', async () => (await request(`${mesh.node.adminUrl}/readyz`)).status !== 200, 2_000, 20);
    await eventually('listener closed', async () => (await request(`${mesh.http}/`, { timeoutMs: 500 })).status === 0, 2_000, 50);
    await idleSocketClosed;
    const r = await inflight;
    assert.equal(r.status, 200, 'the in-flight request finished');
    assert.equal(r.body, 'slow\n');
    assert.equal((await tooSlow).status, 0, 'a request longer than the grace period is cut off');
    await stopped;
    const took = Date.now() - t0;
    assert.ok(took < 6_000, `drain took ${took} ms with a 2500 ms grace`);
    agent.destroy();
  } finally {
    await mesh.stop();
    await echo.close();
  }
});
