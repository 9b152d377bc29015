import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { nkeys } from '@nats-io/transport-node';
import { explainConnectError, loadNatsSecurity, natsConnectionOptions, NatsSecurityError } from './index.ts';

const tmp = (name: string, text: string) => {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mg-natssec-')), name);
  fs.writeFileSync(p, text);
  return p;
};

test('an nkey seed file (seed and public key lines) becomes an nkey authenticator; nothing secret in describe', () => {
  const kp = nkeys.createUser();
  const seed = new TextDecoder().decode(kp.getSeed());
  const s = loadNatsSecurity({ nkeyFile: tmp('u.nk', `# proxy\n${seed}\n${kp.getPublicKey()}\n`) });
  assert.equal(new TextDecoder().decode(s.nkeySeed), seed);
  assert.equal(s.describe, 'auth nkey');
  assert.equal(typeof natsConnectionOptions(s).authenticator, 'function');
  assert.ok(!JSON.stringify({ d: s.describe }).includes(seed));
});

test('an account seed is refused: clients log in with user seeds', () => {
  const seed = new TextDecoder().decode(nkeys.createAccount().getSeed());
  assert.throws(() => loadNatsSecurity({ nkeyFile: tmp('a.nk', seed) }), (e: NatsSecurityError) => e.option === 'nkey' && /an account seed/.test(e.message));
});

test('user/password and token: exactly one login', () => {
  assert.deepEqual(natsConnectionOptions(loadNatsSecurity({ user: 'u', pass: 'p' })), { user: 'u', pass: 'p' });
  assert.equal(loadNatsSecurity({ token: 't' }).describe, 'auth token');
  assert.throws(() => loadNatsSecurity({ user: 'u', pass: 'p', token: 't' }), (e: NatsSecurityError) => e.option === 'token');
  assert.equal(loadNatsSecurity({}).describe, 'auth none');
});

test('connect errors: credentials and TLS are fatal with a hint, an absent server is not', () => {
  const auth = explainConnectError(Object.assign(new Error('Authorization Violation'), { name: 'AuthorizationError' }), 'nats://h:4222', undefined);
  assert.deepEqual([auth.reason, auth.fatal], ['auth', true]);
  assert.match(auth.message, /refused the credentials \(auth none\): Authorization Violation/);
  const ca = explainConnectError(Object.assign(new Error('unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'tls://h:4222', undefined);
  assert.deepEqual([ca.reason, ca.fatal], ['tls-untrusted-server', true]);
  assert.doesNotMatch(ca.message, /use-system-ca/);
  const client = explainConnectError(Object.assign(new Error('40CD:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/x.c:918:SSL alert number 42'), { code: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE' }), 'tls://h:4222', undefined);
  assert.equal(client.reason, 'tls-client-refused');
  assert.match(client.message, /: ssl\/tls alert bad certificate$/);
  const plain = explainConnectError(new Error("server does not support 'tls'"), 'nats://h:4222', undefined);
  assert.equal(plain.reason, 'tls-unsupported');
  const down = explainConnectError(new Error('connection refused'), 'nats://h:4222', undefined);
  assert.deepEqual([down.reason, down.fatal], ['unreachable', false]);
});
