/**
 * Every service logs in to a real nats-server that demands it: user and
 * password, token, nkey seed file. The config service, a proxy node and a
 * health agent run as processes with the credentials (flags or MESHGATE_*
 * variables); the proxy serving the signed snapshot proves the whole config
 * flow ran over authenticated connections, and `meshgate get nodes` logs in
 * the same way. Wrong credentials fail with one line naming the flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNatsServer } from '@meshgate/testing';
import { createNKey } from './nats-fixtures.ts';
import { cliAs, startSecuredMesh, type Login } from './nats-mesh.ts';

async function check(natsConfig: string, login: { configService: Login; proxy: Login; agent: Login; operator: Login; wrong: Login }): Promise<void> {
  const nats = await startNatsServer({ config: natsConfig });
  try {
    // Nothing gets in without credentials.
    const anon = await cliAs({}, ['get', 'nodes', '--nats', nats.url]);
    assert.equal(anon.code, 1, anon.out);
    assert.match(anon.out, /refused the credentials \(auth none\): Authorization Violation: check --nats-user\/--nats-pass, --nats-token, --nats-nkey or --nats-creds/);
    const bad = await cliAs(login.wrong, ['get', 'nodes', '--nats', nats.url]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /refused the credentials/);

    // Its own log is the clue when the mesh does not come up (that is how nats-server 2.9.10's crash
    // on a KV read racing the bucket's creation was found: see startSecuredMesh).
    const mesh = await startSecuredMesh(nats.url, login).catch((err: unknown) => {
      process.stderr.write(`nats-server log:\n${nats.log().slice(-6000)}\n`);
      throw err;
    });
    try {
      const r = await cliAs(login.operator, ['get', 'nodes', '-o', 'json', '--nats', nats.url]);
      assert.equal(r.code, 0, r.out);
      assert.deepEqual((JSON.parse(r.out) as { nodes: { nodeId: string }[] }).nodes.map((n) => n.nodeId), ['secured-1']);
      // Secrets stay out of the logs.
      for (const p of [mesh.configService, mesh.proxy.proc, mesh.agent]) {
        for (const l of Object.values(login)) for (const v of [...Object.values(l.env ?? {}), ...(l.args ?? [])]) {
          if (typeof v === 'string' && /secret|s3cret|^S[UAO]/.test(v)) assert.ok(!p.output().includes(v), 'a secret in a log');
        }
      }
    } finally {
      await mesh.stop();
    }
  } finally {
    await nats.stop();
  }
}

test('user and password (from MESHGATE_NATS_USER / MESHGATE_NATS_PASS, and flags)', async () => {
  const users = ['config', 'proxy', 'agent', 'operator'].map((u) => `{ user: ${u}, password: "${u}-s3cret" }`).join(', ');
  const env = (u: string): Login => ({ env: { MESHGATE_NATS_USER: u, MESHGATE_NATS_PASS: `${u}-s3cret` } });
  await check(`authorization { users: [ ${users} ] }`, {
    configService: env('config'), proxy: env('proxy'), agent: { args: ['--nats-user', 'agent', '--nats-pass', 'agent-s3cret'] },
    operator: env('operator'), wrong: { env: { MESHGATE_NATS_USER: 'operator', MESHGATE_NATS_PASS: 'guess' } },
  });
});

test('token (flag and MESHGATE_NATS_TOKEN)', async () => {
  const token = 'mesh-token-s3cret';
  await check(`authorization { token: "${token}" }`, {
    configService: { args: ['--nats-token', token] }, proxy: { env: { MESHGATE_NATS_TOKEN: token } }, agent: { env: { MESHGATE_NATS_TOKEN: token } },
    operator: { args: ['--nats-token', token] }, wrong: { args: ['--nats-token', 'not-it'] },
  });
});

test('nkey seed files (--nats-nkey and MESHGATE_NATS_NKEY)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-nkey-'));
  try {
    const keys = Object.fromEntries(['config', 'proxy', 'agent', 'operator', 'stranger'].map((n) => {
      const k = createNKey('user');
      const file = path.join(dir, `${n}.nk`);
      // As `nk -gen user -pubout` writes it: the seed, then the public key.
      fs.writeFileSync(file, `${k.seed}\n${k.publicKey}\n`, { mode: 0o600 });
      return [n, { ...k, file }];
    }));
    const users = ['config', 'proxy', 'agent', 'operator'].map((n) => `{ nkey: ${keys[n]!.publicKey} }`).join(', ');
    await check(`authorization { users: [ ${users} ] }`, {
      configService: { args: ['--nats-nkey', keys.config!.file] }, proxy: { env: { MESHGATE_NATS_NKEY: keys.proxy!.file } }, agent: { args: ['--nats-nkey', keys.agent!.file] },
      operator: { args: ['--nats-nkey', keys.operator!.file] }, wrong: { args: ['--nats-nkey', keys.stranger!.file] },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
