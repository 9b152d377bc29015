import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TlsStore } from './tls-store.ts';

/** A self-signed EC certificate made by openssl now (no private key in the repo). */
function cert(cn: string): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-tls-store-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c'), '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return { cert: fs.readFileSync(path.join(dir, 'c'), 'utf8'), key: fs.readFileSync(path.join(dir, 'k'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const a = { id: 'default/a', ...cert('a.example.com') };
const b = { id: 'default/b', ...cert('b.example.com') };

test('SNI: exact names, then one-label wildcards, else the default certificate', () => {
  const s = new TlsStore([{ ...a, hosts: ['a.example.com'] }, { ...b, hosts: ['*.example.com'] }]);
  const ctxA = s.find('A.example.com');
  assert.ok(ctxA);
  assert.equal(s.find('x.example.com'), s.find('y.example.com'));
  assert.notEqual(s.find('x.example.com'), ctxA);
  assert.equal(s.find('deep.x.example.com'), s.defaultContext, 'a wildcard covers one label only');
  assert.equal(s.find(undefined), s.defaultContext);
  assert.equal(s.defaultPem?.cert, a.cert, 'no certificate without hosts: the first one is the default');
});

test('a new snapshot with the same certificates builds no secure context again; a changed one is built', () => {
  const keys = randomBytes(48);
  const first = new TlsStore([{ ...a, hosts: ['a.example.com'] }, { ...b, hosts: ['b.example.com'] }], keys);
  // Another snapshot: same PEMs (new strings, as decoded from a new snapshot), hosts moved around.
  const again = new TlsStore([{ id: 'default/a', cert: `${a.cert}`, key: `${a.key}`, hosts: ['a.example.com', 'c.example.com'] }, { ...b, hosts: ['b.example.com'] }], keys);
  assert.equal(again.find('a.example.com'), first.find('a.example.com'));
  assert.equal(again.find('c.example.com'), first.find('a.example.com'));
  assert.equal(again.find('b.example.com'), first.find('b.example.com'));
  // Other ticket keys: other contexts (a ticket must not resume across them).
  const otherKeys = new TlsStore([{ ...a, hosts: ['a.example.com'] }], randomBytes(48));
  assert.notEqual(otherKeys.find('a.example.com'), first.find('a.example.com'));
  // b was dropped by the last store: it comes back as a new context.
  const back = new TlsStore([{ ...b, hosts: ['b.example.com'] }], keys);
  assert.notEqual(back.find('b.example.com'), first.find('b.example.com'));
});
