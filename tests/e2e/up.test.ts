/**
 * `meshgate up` (what `npm start` runs): the seed demo answers, HTTPS too,
 * and Ctrl-C leaves no process behind. Once with nats-server, once without
 * (the one-process fallback on an in-memory bus).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { freePort, freePortRun, spawnMeshgate, request, eventually } from '@meshgate/testing';

function processesMatching(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

for (const mode of ['nats-server', 'in-memory'] as const) {
  test(`meshgate up (${mode}): the seed demo answers and Ctrl-C stops everything`, async () => {
    // --admin and the three ports after it (the proxies', the config service's, the agent's), clear of
    // the seed's NodePorts, where `up` puts the demo backends (it refuses an overlap: see cli.test.ts).
    const [http, https] = [await freePort(), await freePort()];
    let admin = await freePortRun(4);
    while ([31442, 32220].some((p) => p >= admin && p < admin + 4)) admin = await freePortRun(4);
    const dashboard = await freePort();
    const up = spawnMeshgate(['up', '--http', `127.0.0.1:${http}`, '--https', `127.0.0.1:${https}`, '--admin', `127.0.0.1:${admin}`, '--dashboard', `127.0.0.1:${dashboard}`],
      { env: mode === 'in-memory' ? { MESHGATE_NATS_SERVER: 'none' } : {} });
    try {
      await up.waitFor('Ctrl-C stops everything', 40_000);
      if (mode === 'in-memory') assert.match(up.output(), /in-memory bus/);
      else assert.match(up.output(), /nats-server pid \d+/);
      assert.match(up.output(), new RegExp(`curl -s http://127.0.0.1:${http}/users/`));
      // The banner names the dashboard, which serves the page and the mesh's state.
      assert.match(up.output(), new RegExp(`dashboard: http://127\\.0\\.0\\.1:${dashboard}/`));
      assert.match((await request(`http://127.0.0.1:${dashboard}/`)).body, /<title>meshgate dashboard<\/title>/);
      await eventually('the dashboard lists both nodes', async () => /"nodeId":"proxy-1"[\s\S]*"nodeId":"proxy-2"/.test((await request(`http://127.0.0.1:${dashboard}/api/state`)).body), 10_000);
      const users = await request(`http://127.0.0.1:${http}/users/`);
      assert.equal(users.status, 200);
      assert.match(users.body, /^Hello World! I'm User server .+\n$/);
      const products = await request(`http://127.0.0.1:${http}/products/`);
      assert.match(products.body, /^Hello World! I'm Product server /);
      assert.equal((await request(`http://127.0.0.1:${http}/orders`)).status, 404);
      const tls = await request(`https://127.0.0.1:${https}/users/`, { rejectUnauthorized: false });
      assert.equal(tls.status, 200);
      assert.match(tls.body, /User server/);
      // both proxy nodes are ready
      assert.equal((await request(`http://127.0.0.1:${admin}/readyz`)).status, 200);
      assert.equal((await request(`http://127.0.0.1:${admin + 1}/readyz`)).status, 200);
      // The config service's and the agent's /metrics follow the proxies' admin ports.
      await eventually('config service metrics', async () => /^meshgate_config_/m.test((await request(`http://127.0.0.1:${admin + 2}/metrics`)).body), 10_000);
      await eventually('health agent metrics', async () => /^meshgate_agent_/m.test((await request(`http://127.0.0.1:${admin + 3}/metrics`)).body), 10_000);
    } finally {
      const natsPid = /nats-server pid (\d+)/.exec(up.output())?.[1];
      up.kill('SIGINT');
      const code = await up.exited;
      assert.equal(code, 0, up.output().slice(-2000));
      assert.deepEqual(processesMatching(`127.0.0.1:${admin}`), [], 'a component of `up` is still running');
      if (natsPid) assert.deepEqual(processesMatching(`^${natsPid}$`).length, 0);
      if (natsPid) assert.throws(() => process.kill(Number(natsPid), 0), 'nats-server still running');
      assert.equal((await request(`http://127.0.0.1:${dashboard}/`)).status, 0, 'the dashboard still answers');
      assert.equal((await request(`http://127.0.0.1:${http}/users/`)).status, 0, 'the HTTP port still answers');
    }
  });
}
