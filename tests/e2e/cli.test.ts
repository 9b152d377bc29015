import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnMeshgate } from '@meshgate/testing';

async function run(args: string[], env: Record<string, string> = {}) {
  const p = spawnMeshgate(args, { env });
  const code = await p.exited;
  return { code, out: p.output() };
}

test('an unknown flag exits 2 with one line naming the flag', async () => {
  const r = await run(['proxy', '--bogus']);
  assert.equal(r.code, 2);
  assert.equal(r.out, 'meshgate proxy: unknown flag --bogus (see meshgate proxy --help)\n');
});

test('a bad value exits 2 naming the flag, from the command line or the environment', async () => {
  const a = await run(['proxy', '--workers', 'lots']);
  assert.equal(a.code, 2);
  assert.equal(a.out.trim().split('\n').length, 1);
  assert.match(a.out, /--workers expects a whole number, got 'lots'/);
  const b = await run(['proxy'], { MESHGATE_HTTP: 'nope' });
  assert.equal(b.code, 2);
  assert.match(b.out, /MESHGATE_HTTP expects HOST:PORT or PORT/);
  const c = await run(['config-service', '--nats', 'nats://127.0.0.1:1']);
  assert.equal(c.code, 2);
  assert.match(c.out, /--manifests DIR is required/);
  // The node id ends the node's heartbeat and ACK subjects: a NATS subject token.
  const d = await run(['proxy', '--nats', 'nats://127.0.0.1:1', '--node-id', 'edge 1']);
  assert.equal(d.code, 2);
  assert.equal(d.out, 'meshgate proxy: --node-id "edge 1" may hold only letters, digits, "-" and "_", with single dots between them (it becomes part of NATS subjects)\n');
});

test('meshgate up refuses two of its listeners on one port before it starts anything, naming both', async () => {
  // Two proxies: --admin 31439 and 31440, the config service 31441, the agent 31442: the seed's products NodePort.
  const a = await run(['up', '--admin', '127.0.0.1:31439', '--state-dir', '/nonexistent/meshgate-state']);
  assert.equal(a.code, 2);
  assert.equal(a.out, "meshgate up: demo backend (the seed's NodePort 31442): 127.0.0.1:31442 is also the port of --admin (the health agent's, after the proxies'): pick another port\n");
  const b = await run(['up', '--http', '0.0.0.0:18080', '--https', '127.0.0.1:18080', '--state-dir', '/nonexistent/meshgate-state']);
  assert.equal(b.code, 2);
  assert.match(b.out, /^meshgate up: --https: 127\.0\.0\.1:18080 is also the port of --http: pick another port\n$/);
});

test('unknown commands exit 2; --help lists the commands and flags', async () => {
  const r = await run(['fly']);
  assert.equal(r.code, 2);
  assert.match(r.out, /unknown command 'fly'/);
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['up', 'config-service', 'proxy', 'health-agent']) assert.match(h.out, new RegExp(`\\b${c}\\b`));
  const p = await run(['proxy', '--help']);
  assert.equal(p.code, 0);
  assert.match(p.out, /--workers N .*\[MESHGATE_WORKERS\]/);
  assert.match(p.out, /--nats VALUE .*\[MESHGATE_NATS_URL, MESHGATE_NATS\]/);
});

test('the edge flags of proxy and up: a bad value exits 2 naming the flag or its variable', async () => {
  const a = await run(['proxy', '--path-strictness', 'loose']);
  assert.equal(a.code, 2);
  assert.equal(a.out, "meshgate proxy: --path-strictness expects strict|relaxed, got 'loose'\n");
  const b = await run(['up', '--tls-profile', 'ancient']);
  assert.equal(b.code, 2);
  assert.equal(b.out, "meshgate up: --tls-profile expects modern|intermediate|old, got 'ancient'\n");
  const c = await run(['proxy'], { MESHGATE_TRUSTED_PROXIES: '10.0.0.0/8,10.1.2.3/33' });
  assert.equal(c.code, 2);
  assert.match(c.out, /^meshgate proxy: MESHGATE_TRUSTED_PROXIES expects CIDR,\.\.\. .*'10\.1\.2\.3\/33'/);
  const d = await run(['up', '--tunnel-idle-timeout', 'forever']);
  assert.equal(d.code, 2);
  assert.match(d.out, /^meshgate up: --tunnel-idle-timeout expects a duration/);
});
