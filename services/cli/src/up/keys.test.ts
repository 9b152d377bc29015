import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { loadSigningKey } from '@meshgate/protocol';
import { ensureKeyPair } from './keys.ts';

test('a key pair is made once, private 0600, and the public half always matches it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-keys-'));
  try {
    const a = ensureKeyPair(dir, 'agent');
    assert.equal(fs.statSync(a.signing).mode & 0o777, 0o600);
    const first = fs.readFileSync(a.signing, 'utf8');
    fs.writeFileSync(a.trust, 'stale');
    const b = ensureKeyPair(dir, 'agent');
    assert.equal(fs.readFileSync(b.signing, 'utf8'), first, 'kept across runs');
    const pub = createPublicKey(loadSigningKey(first)).export({ type: 'spki', format: 'pem' }).toString();
    assert.equal(fs.readFileSync(b.trust, 'utf8'), pub, 'the public half is derived again');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['agent-signing.pem', 'agent-trust.pem'], 'no temporary files left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
