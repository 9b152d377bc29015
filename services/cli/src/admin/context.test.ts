import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyContext, contextUsed, removeContext, writeContext } from './context.ts';
import type { FlagValue } from '../flags.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-context-'));
process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'context.json');
const writer = writeContext(file, {
  nats: 'nats://127.0.0.1:4333', subjectPrefix: 'mesh-a', operatorSigningKey: '/keys/operator.pem',
  login: { 'nats-user': 'operator', 'nats-pass': 'secret' },
});

test('the context file is 0600, and a stopping up removes only its own', () => {
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  removeContext(file, 'another-up');
  assert.ok(fs.existsSync(file));
});

test('no NATS flags: the context gives URL, login, prefix and operator key; explicit ones win', () => {
  const flags: Record<string, FlagValue | undefined> = { context: file };
  applyContext(flags, 'get');
  assert.deepEqual(
    [flags.nats, flags['nats-user'], flags['nats-pass'], flags['subject-prefix'], flags['operator-signing-key'], contextUsed(flags)],
    ['nats://127.0.0.1:4333', 'operator', 'secret', 'mesh-a', '/keys/operator.pem', file],
  );
  const own: Record<string, FlagValue | undefined> = { context: file, 'subject-prefix': 'mine', 'operator-signing-key': '/mine.pem' };
  applyContext(own, 'apply');
  assert.deepEqual([own['subject-prefix'], own['operator-signing-key']], ['mine', '/mine.pem']);
  // Any NATS URL or login flag: the context is not read at all.
  for (const given of [{ nats: 'nats://elsewhere:4222' }, { 'nats-token': 't' }, { 'nats-tls-ca': '/ca.pem' }]) {
    const f: Record<string, FlagValue | undefined> = { context: file, ...given };
    applyContext(f, 'get');
    assert.equal(f['nats-user'], undefined);
    assert.equal(f['operator-signing-key'], undefined);
    assert.equal(f['subject-prefix'], 'meshgate');
    assert.equal(contextUsed(f), undefined);
  }
});

test('no context file: the usual defaults; a named one that is missing or not a context: exit 2 naming --context', () => {
  const missing: Record<string, FlagValue | undefined> = { context: path.join(os.tmpdir(), `meshgate-up-${os.userInfo().username}`, 'context.json') };
  const defaultExists = fs.existsSync(missing.context as string);
  if (!defaultExists) {
    applyContext(missing, 'get');
    assert.deepEqual([missing.nats, missing['subject-prefix']], ['nats://127.0.0.1:4222', 'meshgate']);
  }
  assert.throws(() => applyContext({ context: path.join(dir, 'nope.json') }, 'get'), /^Error: meshgate get: --context: cannot read .*nope\.json \(ENOENT\)/);
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{"kind":"meshgate-context","nats":"nats://x","subjectPrefix":"p","login":{"nats-seed":"x"}}');
  assert.throws(() => applyContext({ context: bad }, 'apply'), /--context: .*bad\.json is not a meshgate context/);
  fs.writeFileSync(bad, 'nats://x');
  assert.throws(() => applyContext({ context: bad }, 'apply'), /--context: .*bad\.json is not JSON/);
});

test('removeContext removes the writer\'s own file', () => {
  removeContext(file, writer);
  assert.equal(fs.existsSync(file), false);
});
