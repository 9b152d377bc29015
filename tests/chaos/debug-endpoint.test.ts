/**
 * The proxy admin's chaos hook, POST /debug/kill-worker?index=N, exists only
 * with MESHGATE_DEBUG_ENDPOINTS=1; otherwise it is a 404 like any unknown
 * path. (The chaos tests use it on a serving node: chaos-short.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, freePort, request, spawnMeshgate } from '@meshgate/testing';

async function proxyWithoutNats(env: NodeJS.ProcessEnv) {
  const admin = await freePort();
  const p = spawnMeshgate(['proxy', '--nats', 'nats://127.0.0.1:1', '--workers', '1', '--http', `127.0.0.1:${await freePort()}`, '--https', `127.0.0.1:${await freePort()}`, '--admin', `127.0.0.1:${admin}`], { env });
  await eventually('admin listener up', async () => (await request(`http://127.0.0.1:${admin}/healthz`, { timeoutMs: 500 })).status === 200, 20_000);
  return { url: (p2: string) => `http://127.0.0.1:${admin}${p2}`, proc: p };
}

test('without MESHGATE_DEBUG_ENDPOINTS=1, /debug/kill-worker is a 404', async () => {
  const { url, proc } = await proxyWithoutNats({ MESHGATE_DEBUG_ENDPOINTS: '' });
  try {
    const r = await request(url('/debug/kill-worker?index=0'), { method: 'POST' });
    assert.equal(r.status, 404);
    assert.match(r.body, /not found/);
  } finally {
    await proc.stop();
  }
});

test('with MESHGATE_DEBUG_ENDPOINTS=1, /debug/kill-worker checks its method and index', async () => {
  const { url, proc } = await proxyWithoutNats({ MESHGATE_DEBUG_ENDPOINTS: '1' });
  try {
    assert.equal((await request(url('/debug/kill-worker?index=0'))).status, 405);
    const bad = await request(url('/debug/kill-worker?index=x'), { method: 'POST' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /index/);
    // No snapshot yet (no NATS): the worker does not listen, so there is nothing to terminate.
    const none = await request(url('/debug/kill-worker?index=5'), { method: 'POST' });
    assert.equal(none.status, 409);
  } finally {
    await proc.stop();
  }
});
