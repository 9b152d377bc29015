/**
 * `meshgate up` runs its nats-server with generated credentials, not an
 * open port: a config in its state dir (0600) with one user per component
 * and per proxy node, random passwords given through the environment (no
 * command line shows one), and a context file (0600) through which
 * `meshgate get` and `apply --wait` work with no flags at all, signed with
 * the operator key the config service trusts. Liveness is signed by the
 * agent and verified by the proxies. Ctrl-C removes the config and context.
 *
 * TMPDIR points `up` and the CLI at a state dir of this test's own (the
 * default state dir is under os.tmpdir()), so nothing else is shared.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NatsTransport, loadNatsSecurity } from '@meshgate/actors';
import { AdminMessageType, keyIdOf, loadTrustKey, msgpackCodec, subjects } from '@meshgate/protocol';
import { eventually, freePort, freePortRun, request, spawnMeshgate, type Proc } from '@meshgate/testing';
import { makeMeshDir, startBackends } from '../control-plane/mesh.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-up-creds-'));
process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const stateDir = path.join(tmp, `meshgate-up-${os.userInfo().username}`);
/** The CLI as a user types it: no NATS flags, no MESHGATE_NATS_* variables. */
const env: NodeJS.ProcessEnv = { TMPDIR: tmp };
for (const k of Object.keys(process.env)) if (k.startsWith('MESHGATE_NATS') || k === 'MESHGATE_CONTEXT') env[k] = '';

const procs: Proc[] = [];
after(async () => { await Promise.all(procs.map((p) => p.stop())); });

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; out: string }> {
  const p = spawnMeshgate(args, { env: { ...env, ...extraEnv } });
  return { code: await p.exited, out: p.output() };
}

/** Every process on this machine whose command line holds `text`, with its environment. */
function processesWith(text: string): { pid: string; cmdline: string; environ: string }[] {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) out.push({ pid, cmdline, environ: fs.readFileSync(`/proc/${pid}/environ`, 'utf8') });
    } catch { /* gone, or not ours */ }
  }
  return out;
}

test('meshgate up: NATS with a login per component, passwords only in the environment, the CLI through the context file', async () => {
  const m = await makeMeshDir();
  procs.push(...startBackends(m));
  const [http, https] = [await freePort(), await freePort()];
  const admin = await freePortRun(4);
  const dashboard = await freePort();
  const up = spawnMeshgate(['up', '--manifests', m.manifests, '--http', `127.0.0.1:${http}`, '--https', `127.0.0.1:${https}`, '--admin', `127.0.0.1:${admin}`, '--dashboard', `127.0.0.1:${dashboard}`], { env });
  procs.push(up);
  await up.waitFor('Ctrl-C stops everything', 60_000);
  const natsUrl = /; nats (nats:\/\/\S+) \(nats-server pid \d+, a login per component\)/.exec(up.output())?.[1];
  assert.ok(natsUrl, up.output());

  // The server config and the context: in the state dir, readable by their owner only.
  const conf = path.join(stateDir, 'nats-server.conf');
  const contextFile = path.join(stateDir, 'context.json');
  for (const f of [conf, contextFile, path.join(stateDir, 'operator-signing.pem'), path.join(stateDir, 'agent-signing.pem')]) {
    assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
  }
  assert.match(up.output(), new RegExp(`context: +${contextFile.replaceAll('.', '\\.')}`));
  const users = new Map([...fs.readFileSync(conf, 'utf8').matchAll(/user: "([^"]+)", password: "([^"]+)"/g)].map((x) => [x[1]!, x[2]!]));
  assert.deepEqual([...users.keys()].sort(), ['config-service', 'health-agent', 'operator', 'proxy-1', 'proxy-2']);
  assert.equal(new Set(users.values()).size, 5, 'a password of its own each');
  const context = JSON.parse(fs.readFileSync(contextFile, 'utf8'));
  assert.deepEqual([context.nats, context.login['nats-user'], context.operatorSigningKey], [natsUrl, 'operator', path.join(stateDir, 'operator-signing.pem')]);

  // Each component logs in as itself; no password is on any command line (ps shows those to everyone).
  const components = processesWith(stateDir).filter((p) => /meshgate\.js (config-service|proxy|health-agent) /.test(p.cmdline));
  assert.deepEqual(components.map((p) => /(?:^|\0)MESHGATE_NATS_USER=([^\0]*)/.exec(p.environ)?.[1]).sort(), ['config-service', 'health-agent', 'proxy-1', 'proxy-2']);
  for (const pass of users.values()) assert.deepEqual(processesWith(pass).map((p) => p.cmdline), [], 'a password on a command line');

  // No anonymous access; a proxy's login cannot reach the config service's admin subject.
  const anonymous = await cli(['get', 'nodes', '--nats', natsUrl]);
  assert.equal(anonymous.code, 1, anonymous.out);
  assert.match(anonymous.out, /refused the credentials \(auth none\): Authorization Violation/);
  const asProxy = await NatsTransport.connect({ servers: natsUrl, codec: msgpackCodec, reconnect: false, security: loadNatsSecurity({ user: 'proxy-1', pass: users.get('proxy-1')! }) });
  try {
    await assert.rejects(asProxy.request(subjects('meshgate').admin, { type: AdminMessageType.Get, what: 'nodes' }, 1_000));
  } finally {
    await asProxy.close();
  }

  // The CLI as the README shows it: no flags.
  await eventually('get nodes lists both proxies', async () => {
    const r = await cli(['get', 'nodes']);
    return r.code === 0 && /^proxy-1 +up /m.test(r.out) && /^proxy-2 +up /m.test(r.out);
  }, 20_000);
  const file = path.join(m.dir, 'extra.yaml');
  fs.writeFileSync(file, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: extra }
spec:
  rules:
  - http:
      paths:
      - { path: /extra, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }
`);
  const applied = await cli(['apply', '-f', file, '--wait']);
  assert.equal(applied.code, 0, applied.out);
  assert.match(applied.out, /^ingress\.networking\.k8s\.io\/extra created\napplied v\d+ on 2\/2 live node\(s\)/m);
  assert.equal((await request(`http://127.0.0.1:${http}/extra/`)).status, 200);
  // The operator's NATS login alone is not enough: the config service wants the operator key's signature.
  const unsigned = await cli(['delete', '-f', file, '--nats', natsUrl], { MESHGATE_NATS_USER: 'operator', MESHGATE_NATS_PASS: users.get('operator')! });
  assert.equal(unsigned.code, 1, unsigned.out);
  assert.match(unsigned.out, /delete refused: the request is not signed/);

  // Liveness is signed by the agent's key and accepted by both proxies.
  const agentKey = keyIdOf(loadTrustKey(fs.readFileSync(path.join(stateDir, 'agent-trust.pem'))));
  for (const port of [admin, admin + 1]) {
    const live = JSON.parse((await request(`http://127.0.0.1:${port}/status`)).body).liveness as { agent: string }[];
    assert.ok(live.length > 0 && live.every((l) => l.agent === `agent-1@${agentKey}`), JSON.stringify(live));
  }
  assert.doesNotMatch(up.output(), /liveness refused|admin request refused.*apply/);

  // The dashboard shows the mesh and none of its logins.
  const state = (await request(`http://127.0.0.1:${dashboard}/api/state`)).body;
  assert.match(state, /"nodeId":"proxy-1"/);
  for (const pass of users.values()) assert.ok(!state.includes(pass), 'a NATS password on the dashboard');

  up.kill('SIGINT');
  assert.equal(await up.exited, 0, up.output().slice(-2000));
  assert.equal(fs.existsSync(conf), false, 'the NATS config (passwords) is removed at stop');
  assert.equal(fs.existsSync(contextFile), false, 'the context is removed at stop');
  // No context left: the CLI is back to its defaults (whatever answers on 127.0.0.1:4222, if anything).
  assert.doesNotMatch((await cli(['get', 'nodes'])).out, /context/);
});
