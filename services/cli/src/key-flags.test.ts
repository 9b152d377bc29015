import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKeyPair, keyIdOf } from '@meshgate/protocol';
import { signingKeyFrom, trustKeysFrom } from './common.ts';
import { UsageError } from './flags.ts';

test('key flags: FILE[,FILE] lists of public keys, a private key per signer; bad files exit 2 naming the flag', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-key-flags-'));
  try {
    const f = (n: string, text: string) => { fs.writeFileSync(path.join(dir, n), text); return path.join(dir, n); };
    const [a, b] = [generateSigningKeyPair(), generateSigningKeyPair()];
    const keys = trustKeysFrom({ 'agent-trust-key': `${f('a.pub', a.publicPem)}, ${f('b.pub', b.publicPem)}` }, 'agent-trust-key');
    assert.equal(keys.length, 2);
    assert.notEqual(keyIdOf(keys[0]!), keyIdOf(keys[1]!));
    assert.deepEqual(trustKeysFrom({}, 'operator-key'), []);
    assert.ok(signingKeyFrom({ 'operator-signing-key': f('a.pem', a.privatePem) }, 'operator-signing-key'));
    const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (err: unknown) => err instanceof UsageError && re.test(err.message));
    usage(() => trustKeysFrom({ 'operator-key': ',' }, 'operator-key'), /^--operator-key: expects FILE or FILE,FILE/);
    usage(() => trustKeysFrom({ 'agent-trust-key': `${dir}/a.pub,${dir}/missing.pub` }, 'agent-trust-key'), /^--agent-trust-key: cannot read .*missing\.pub \(ENOENT\)/);
    usage(() => trustKeysFrom({ 'agent-trust-key': f('junk', 'junk') }, 'agent-trust-key'), /^--agent-trust-key .*junk is not a PEM public key/);
    usage(() => signingKeyFrom({ 'operator-signing-key': f('b.pub', b.publicPem) }, 'operator-signing-key'), /^--operator-signing-key .*b\.pub is not a PEM private key/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
