/**
 * Bad NATS credential and TLS files: every command that connects to NATS
 * checks them before connecting and exits 2 with one line naming the flag
 * and what is wrong (no NATS server needed: nothing gets that far).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnMeshgate } from '@meshgate/testing';

let dir: string;
const f = (name: string) => path.join(dir, name);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-sec-flags-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=test-ca');
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('other.key'), '-out', f('other.pem'), '-days', '1', '-subj', '/CN=other');
  fs.writeFileSync(f('empty'), '');
  fs.writeFileSync(f('garbage'), 'not a key\n');
  // A user public key where the seed should be, and a seed with a broken checksum.
  fs.writeFileSync(f('public.nk'), 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\n');
  // (the example seed of the NATS docs with one character changed)
  fs.writeFileSync(f('bad-seed.nk'), 'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYZCU3VY\n');
  fs.writeFileSync(f('manifest.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { ports: [{ port: 80 }] }\n');
  const jwt = (claims: object) => ['{"typ":"JWT","alg":"ed25519-nkey"}', JSON.stringify(claims), 'sig'].map((p) => Buffer.from(p).toString('base64url')).join('.');
  const creds = (token: string) => `-----BEGIN NATS USER JWT-----\n${token}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY\n------END USER NKEY SEED------\n`;
  fs.writeFileSync(f('expired.creds'), creds(jwt({ exp: 1_000_000, nats: { type: 'user' } })));
  fs.writeFileSync(f('account.creds'), creds(jwt({ nats: { type: 'account' } })));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; out: string }> {
  const p = spawnMeshgate(args, { env: { MESHGATE_NATS_URL: 'nats://127.0.0.1:1', ...env } });
  const code = await p.exited;
  return { code, out: p.output().trim() };
}

const cases: [string, string[], RegExp][] = [
  ['missing nkey file', ['--nats-nkey', '/nonexistent/seed.nk'], /^--nats-nkey: cannot read \/nonexistent\/seed\.nk \(ENOENT\)/],
  ['empty nkey file', ['--nats-nkey', 'empty'], /^--nats-nkey: .*empty is empty/],
  ['a public key instead of a seed', ['--nats-nkey', 'public.nk'], /^--nats-nkey: .*holds no nkey seed.*not a public key/],
  ['a seed with a bad checksum', ['--nats-nkey', 'bad-seed.nk'], /^--nats-nkey: .*not? (hold )?a valid nkey seed/],
  ['creds that are not creds', ['--nats-creds', 'garbage'], /^--nats-creds: .*is not a NATS \.creds file/],
  ['expired creds', ['--nats-creds', 'expired.creds'], /^--nats-creds: .*expired on 1970-01-12/],
  ['account creds', ['--nats-creds', 'account.creds'], /^--nats-creds: .*an account JWT: a client needs a user JWT/],
  ['a CA file without a certificate', ['--nats-tls-ca', 'ca.key'], /^--nats-tls-ca: .*holds no PEM certificate/],
  ['a client certificate without its key', ['--nats-tls-cert', 'ca.pem'], /^--nats-tls-key: a TLS client certificate needs its private key too/],
  ['a client key that is not a key', ['--nats-tls-cert', 'ca.pem', '--nats-tls-key', 'garbage'], /^--nats-tls-key: .*is not a PEM private key/],
  ["someone else's key", ['--nats-tls-cert', 'ca.pem', '--nats-tls-key', 'other.key'], /^--nats-tls-key: .*other\.key is not the key of the certificate in .*ca\.pem/],
  ['two ways to log in', ['--nats-token', 't', '--nats-nkey', 'public.nk'], /^--nats-nkey: give one way to log in to NATS, not token and nkey/],
  ['a user without a password', ['--nats-user', 'proxy'], /^--nats-pass: NATS user proxy needs a password/],
];

const commands: [string, string[]][] = [
  ['proxy', ['proxy', '--http', '127.0.0.1:0', '--https', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--workers', '1']],
  ['config-service', ['config-service', '--manifests', '.']],
  ['health-agent', ['health-agent']],
  ['apply', ['apply', '-f', 'manifest.yaml']],
  ['delete', ['delete', '-f', 'manifest.yaml']],
  ['get', ['get', 'nodes']],
  ['up', ['up', '--nats', 'nats://127.0.0.1:1']],
];

const abs = (args: string[]) => args.map((a) => (fs.existsSync(path.join(dir, a)) && !a.startsWith('-') && a !== '.' ? f(a) : a));

/** Runs `fn` over `items`, `n` at a time (each case is a process start: the machine has 2 cores). */
async function inBatches<T, R>(items: readonly T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...await Promise.all(items.slice(i, i + n).map((t, j) => fn(t, i + j))));
  return out;
}

test('bad credential and TLS files: exit 2 with one line naming the flag and what is wrong', async () => {
  // Each case against one command, rotating through them.
  const results = await inBatches(cases, 4, async ([, flags], i) => {
    const [cmd, base] = commands[i % commands.length]!;
    return { cmd, ...await run(abs([...base, ...flags])) };
  });
  results.forEach((r, i) => {
    const [name, , expected] = cases[i]!;
    assert.equal(r.code, 2, `${name} (${r.cmd}): ${r.out}`);
    assert.match(r.out, expected, `${name} (${r.cmd})`);
    assert.equal(r.out.split('\n').length, 1, `${name} (${r.cmd}): one line`);
  });
});

test('every command that connects checks the files (a public key as seed: exit 2)', async () => {
  const results = await inBatches(commands, 4, async ([cmd, base]) => [cmd, await run(abs([...base, '--nats-nkey', 'public.nk']))] as const);
  for (const [cmd, r] of results) {
    assert.equal(r.code, 2, `${cmd}: ${r.out}`);
    assert.match(r.out, /^--nats-nkey: /, cmd);
  }
});

test('each flag reads MESHGATE_<NAME>: a bad file in the environment names the variable\'s flag', async () => {
  const r = await run(['get', 'nodes'], { MESHGATE_NATS_TLS_CA: f('garbage') });
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /^--nats-tls-ca: .*garbage holds no PEM certificate/);
  const h = spawnMeshgate(['proxy', '--help']);
  await h.exited;
  for (const env of ['MESHGATE_NATS_USER', 'MESHGATE_NATS_PASS', 'MESHGATE_NATS_TOKEN', 'MESHGATE_NATS_NKEY', 'MESHGATE_NATS_CREDS', 'MESHGATE_NATS_TLS_CA', 'MESHGATE_NATS_TLS_CERT', 'MESHGATE_NATS_TLS_KEY']) {
    assert.ok(h.output().includes(`[${env}]`), `proxy --help lists ${env}`);
  }
});
