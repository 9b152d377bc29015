/**
 * `meshgate apply`/`delete` (config.v1.admin) need an operator signature
 * when the config service has --operator-key: on a nats-server with the
 * documented permissions (infra/compose/nats/auth.conf), a request that is
 * unsigned, signed by another key, altered, old or played back again is
 * refused with a reason naming what to fix, and changes nothing; one signed
 * by either trusted key (flag or MESHGATE_OPERATOR_SIGNING_KEY) is applied.
 * `get` needs no signature. A config service without operator keys takes
 * unsigned requests, and warns once at start.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NatsTransport } from '@meshgate/actors';
import {
  AdminMessageType, msgpackCodec, signAdminRequest, subjects,
  type AdminError, type ApplyReply, type ApplyRequest, type GetReply,
} from '@meshgate/protocol';
import { configServiceStarted, spawnMeshgate, startNatsServer, type NatsServer, type Proc } from '@meshgate/testing';
import { makeMeshDir, type MeshDir } from '../control-plane/mesh.ts';
import { AUTH_CONF, as, cliAs, keyPairIn, loginOf, type Login } from './nats-mesh.ts';

const S = subjects('meshgate');

let nats: NatsServer;
let m: MeshDir;
let configService: Proc;
/** Sees every admin request, as the config service's login may. */
let observer: NatsTransport;
let operator: NatsTransport;
const captured: ApplyRequest[] = [];
let ingressFile: string;

const keyPair = (name: string) => keyPairIn(m.dir, name);
let opA: ReturnType<typeof keyPair>;
let opB: ReturnType<typeof keyPair>;
let other: ReturnType<typeof keyPair>;

const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: signed-ingress }
spec:
  rules:
  - host: signed.example
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }
`;

const cli = (args: string[], extra: Login = {}) => cliAs({ env: { ...as('operator').env, ...extra.env }, args: ['--nats', nats.url, ...extra.args ?? []] }, args);
async function ingresses(): Promise<string[]> {
  const r = await operator.request<GetReply>(S.admin, { type: AdminMessageType.Get, what: 'ingresses' }, 10_000);
  return (r.ingresses ?? []).map((i) => i.name);
}

before(async () => {
  nats = await startNatsServer({ config: fs.readFileSync(AUTH_CONF, 'utf8') });
  m = await makeMeshDir();
  [opA, opB, other] = [keyPair('operator-a'), keyPair('operator-b'), keyPair('other')];
  ingressFile = path.join(m.dir, 'signed-ingress.yaml');
  fs.writeFileSync(ingressFile, ingress);
  configService = spawnMeshgate(['config-service', '--nats', nats.url, '--manifests', m.manifests, '--signing-key', m.signing, '--operator-key', `${opA.trust},${opB.trust}`], { env: as('config-service').env! });
  await configServiceStarted(configService);
  observer = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('config-service') });
  observer.subscribe(S.admin, (msg) => { const r = msg.data as ApplyRequest; if (r.type === AdminMessageType.Apply) captured.push(r); });
  await observer.flush();
  operator = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('operator') });
});

after(async () => {
  await observer?.close();
  await operator?.close();
  await configService?.stop();
  await nats?.stop();
});

test('apply and delete: unsigned or signed by another key is refused, naming the flag; either trusted key works; get needs none', async () => {
  const unsigned = await cli(['apply', '-f', ingressFile]);
  assert.equal(unsigned.code, 1, unsigned.out);
  assert.match(unsigned.out, new RegExp(`^meshgate apply: the config service says: apply refused: the request is not signed, and this config service accepts only operator keys ${opA.keyId}, ${opB.keyId}: sign it with --operator-signing-key FILE \\(or MESHGATE_OPERATOR_SIGNING_KEY\\)\\n$`));
  const stranger = await cli(['apply', '-f', ingressFile, '--operator-signing-key', other.signing]);
  assert.equal(stranger.code, 1, stranger.out);
  assert.match(stranger.out, new RegExp(`apply refused: signed by key ${other.keyId}, which this config service does not trust`));
  assert.deepEqual(await ingresses(), ['hello-ingress'], 'nothing was applied');

  const applied = await cli(['apply', '-f', ingressFile, '--operator-signing-key', opA.signing]);
  assert.equal(applied.code, 0, applied.out);
  assert.match(applied.out, /^ingress\.networking\.k8s\.io\/signed-ingress created$/m);
  assert.deepEqual((await ingresses()).sort(), ['hello-ingress', 'signed-ingress']);
  // The second trusted key, from the environment; get is unsigned.
  const deleted = await cli(['delete', '-f', ingressFile], { env: { MESHGATE_OPERATOR_SIGNING_KEY: opB.signing } });
  assert.equal(deleted.code, 0, deleted.out);
  assert.match(deleted.out, /^ingress\.networking\.k8s\.io\/signed-ingress deleted$/m);
  const got = await cli(['get', 'ingresses']);
  assert.equal(got.code, 0, got.out);
  assert.doesNotMatch(got.out, /signed-ingress/);
  assert.match(configService.output(), /"admin request refused".*not signed/);
});

test('a captured signed apply cannot be played back, altered, or signed long ago', async () => {
  const signedApply = captured.find((r) => r.auth?.keyId === opA.keyId && r.action === 'apply');
  assert.ok(signedApply, 'the observer saw the signed apply');
  const refusal = async (req: ApplyRequest) => {
    const r = await operator.request<ApplyReply | AdminError>(S.admin, req, 10_000);
    return r.type === AdminMessageType.Error ? r.message : 'accepted';
  };
  assert.match(await refusal(signedApply), /^apply refused: this signed request was already received \(nonce [0-9a-f]{32}\): replayed$/);
  assert.match(await refusal({ ...signedApply, files: [{ path: 'x.yaml', text: ingress.replace('signed.example', 'evil.example') }] }), /^apply refused: the signature of key .* does not verify/);
  assert.match(await refusal({ ...signedApply, action: 'delete' }), /^delete refused: the signature of key .* does not verify/);
  const old = signAdminRequest({ type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'x.yaml', text: ingress }] }, opA.key, 'meshgate', Date.now() - 10 * 60_000);
  assert.match(await refusal(old), /more than 5 min from the config service's clock/);
  assert.deepEqual(await ingresses(), ['hello-ingress'], 'still deleted');
  // Signed now, it goes through.
  assert.equal(await refusal(signAdminRequest({ ...old, auth: undefined } as ApplyRequest, opA.key, 'meshgate')), 'accepted');
});

test('a config service without operator keys takes unsigned apply, and warned at start', async () => {
  const open = await startNatsServer();
  const svc = spawnMeshgate(['config-service', '--nats', open.url, '--manifests', m.manifests]);
  try {
    await configServiceStarted(svc);
    const r = await cliAs({}, ['apply', '-f', ingressFile, '--nats', open.url]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /signed-ingress created/);
    assert.equal(svc.output().match(/no --operator-key: apply and delete are accepted from any NATS user/g)?.length, 1);
  } finally {
    await svc.stop();
    await open.stop();
  }
});
