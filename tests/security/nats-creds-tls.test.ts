/**
 * The two other ways in: JWT credentials (.creds, nats-server in operator
 * mode with a JetStream-enabled account) and mutual TLS to NATS (server
 * verified with our CA, clients with certificates it signed). The whole
 * mesh runs over each; a client the server will not have is refused with a
 * line that names the flag to fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNatsServer } from '@meshgate/testing';
import { createOperator, createPki } from './nats-fixtures.ts';
import { cliAs, startSecuredMesh } from './nats-mesh.ts';

test('JWT creds files (--nats-creds and MESHGATE_NATS_CREDS), each service its own user', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-creds-'));
  const op = createOperator();
  const file = (name: string, text: string) => { const p = path.join(dir, name); fs.writeFileSync(p, text, { mode: 0o600 }); return p; };
  const creds = Object.fromEntries(['config-service', 'proxy', 'agent', 'operator'].map((n) => [n, file(`${n}.creds`, op.creds(n))]));
  // Signed by an account the server does not know.
  const stranger = file('stranger.creds', createOperator().creds('stranger'));
  const nats = await startNatsServer({ config: op.serverConfig });
  try {
    const bad = await cliAs({ args: ['--nats-creds', stranger] }, ['get', 'nodes', '--nats', nats.url]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /refused the credentials \(auth creds\)/);
    const mesh = await startSecuredMesh(nats.url, {
      configService: { args: ['--nats-creds', creds['config-service']!] },
      proxy: { env: { MESHGATE_NATS_CREDS: creds.proxy! } },
      agent: { args: ['--nats-creds', creds.agent!] },
    });
    try {
      // JetStream works for the account: the snapshot is stored durably, not only announced.
      assert.doesNotMatch(mesh.configService.output(), /no JetStream KV/);
      const r = await cliAs({ args: ['--nats-creds', creds.operator!] }, ['get', 'snapshot', '-o', 'json', '--nats', nats.url]);
      assert.equal(r.code, 0, r.out);
      assert.match((JSON.parse(r.out) as { snapshot: { store: string } }).snapshot.store, /^KV bucket meshgate-config/);
    } finally {
      await mesh.stop();
    }
  } finally {
    await nats.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mutual TLS to NATS (--nats-tls-ca, --nats-tls-cert, --nats-tls-key), over tls:// and nats:// URLs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-nats-tls-'));
  const pki = createPki(dir);
  const nats = await startNatsServer({
    config: `tls { cert_file: "${pki.serverCert}", key_file: "${pki.serverKey}", ca_file: "${pki.ca}", verify: true, timeout: 2 }
authorization { users: [ { user: mesh, password: "tls-s3cret" } ] }`,
  });
  const tlsUrl = nats.url.replace('nats://', 'tls://');
  const tls = ['--nats-tls-ca', pki.ca, '--nats-tls-cert', pki.clientCert, '--nats-tls-key', pki.clientKey];
  const env = { MESHGATE_NATS_USER: 'mesh', MESHGATE_NATS_PASS: 'tls-s3cret' };
  try {
    const [noCa, noCert, stranger, plainTls] = await Promise.all([
      cliAs({ env }, ['get', 'nodes', '--nats', tlsUrl]),
      cliAs({ env, args: ['--nats-tls-ca', pki.ca] }, ['get', 'nodes', '--nats', tlsUrl]),
      cliAs({ env, args: ['--nats-tls-ca', pki.ca, '--nats-tls-cert', pki.strangerCert, '--nats-tls-key', pki.strangerKey] }, ['get', 'nodes', '--nats', tlsUrl]),
      startNatsServer().then(async (plain) => {
        try { return await cliAs({ args: ['--nats-tls-ca', pki.ca] }, ['get', 'nodes', '--nats', plain.url]); } finally { await plain.stop(); }
      }),
    ]);
    assert.equal(noCa.code, 1, noCa.out);
    assert.match(noCa.out, /TLS to NATS at tls:\/\/127\.0\.0\.1:\d+ failed .*: give the CA that signed the server certificate with --nats-tls-ca/);
    assert.equal(noCert.code, 1, noCert.out);
    assert.match(noCert.out, /TLS to NATS .* failed .*the server wants a client certificate it trusts: --nats-tls-cert and --nats-tls-key/);
    assert.equal(stranger.code, 1, stranger.out);
    assert.match(stranger.out, /TLS to NATS .* failed/);
    assert.equal(plainTls.code, 1, plainTls.out);
    assert.match(plainTls.out, /the server does not speak TLS: drop the --nats-tls-\* flags/);
    for (const r of [noCa, noCert, stranger, plainTls]) assert.equal(r.out.trim().split('\n').length, 1, r.out);

    const mesh = await startSecuredMesh(tlsUrl, {
      configService: { env, args: tls },
      // nats:// upgrades to TLS when the server requires it; the files come from the environment here.
      proxy: { nats: nats.url, env: { ...env, MESHGATE_NATS_TLS_CA: pki.ca, MESHGATE_NATS_TLS_CERT: pki.clientCert, MESHGATE_NATS_TLS_KEY: pki.clientKey } },
      agent: { env, args: tls },
    });
    try {
      const r = await cliAs({ env, args: tls }, ['get', 'nodes', '-o', 'json', '--nats', tlsUrl]);
      assert.equal(r.code, 0, r.out);
      assert.deepEqual((JSON.parse(r.out) as { nodes: { nodeId: string }[] }).nodes.map((n) => n.nodeId), ['secured-1']);
      assert.match(mesh.proxy.proc.output(), /"security":"auth user mesh, tls with client certificate"/);
    } finally {
      await mesh.stop();
    }
  } finally {
    await nats.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
