import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingressManifest, serviceManifest } from '@meshgate/testing';
import { defaultBuild, emptyApplied } from './applied-objects.ts';
import { ManifestSource } from './manifest-source.ts';

test('a file that stops parsing is built from its last good text, its error still reported', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-source-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'svc.yaml'), serviceManifest('users-svc', [8080]));
  fs.writeFileSync(path.join(dir, 'ing.yaml'), ingressManifest('a', { '/a': 'users-svc' }));
  const source = new ManifestSource(dir, defaultBuild('meshgate'));
  source.read();
  assert.equal(source.files.length, 2);
  assert.deepEqual(source.build(emptyApplied()).rules.map((r) => r.path), ['/a']);

  fs.writeFileSync(path.join(dir, 'ing.yaml'), 'kind: Ingress\nmetadata:\n  name: a\n spec: [\n');
  source.read();
  const kept = source.build(emptyApplied());
  assert.deepEqual(kept.rules.map((r) => r.path), ['/a'], 'the last good text serves');
  assert.match(kept.errors[0]!.message, /serving this file's last good version until it parses again$/);

  fs.writeFileSync(path.join(dir, 'ing.yaml'), ingressManifest('a', { '/b': 'users-svc' }));
  source.read();
  assert.deepEqual(source.build(emptyApplied()).rules.map((r) => r.path), ['/b']);
});

test('a directory that cannot be read: read throws, readOrKeep keeps the last read', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-source-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'svc.yaml'), serviceManifest('users-svc', [8080]));
  const source = new ManifestSource(path.join(dir), defaultBuild('meshgate'));
  source.read();
  fs.rmSync(dir, { recursive: true });
  assert.throws(() => source.read());
  source.readOrKeep();
  assert.equal(source.files.length, 1);
});
