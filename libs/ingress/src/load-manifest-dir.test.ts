import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listManifestFiles, loadManifestDir, type ManifestReadCache } from './load-manifest-dir.ts';

test('loadManifestDir with a read cache: unchanged files are not read again, changed ones always are', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-read-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.yaml');
  fs.writeFileSync(file, 'kind: A\n');
  const cache: ManifestReadCache = new Map();
  // Just written: within the racy window every read goes to the file, same size or not.
  assert.equal(loadManifestDir(dir, cache)[0]!.text, 'kind: A\n');
  fs.writeFileSync(file, 'kind: B\n');
  assert.equal(loadManifestDir(dir, cache)[0]!.text, 'kind: B\n');
  // Later: an unchanged file comes from the cache (the same string), a rewritten one from the disk.
  const realNow = Date.now;
  t.after(() => { Date.now = realNow; });
  Date.now = () => realNow() + 60_000;
  const first = loadManifestDir(dir, cache)[0]!.text;
  assert.equal(first, 'kind: B\n');
  assert.equal(cache.size, 1);
  cache.set(file, { ...cache.get(file)!, text: 'from the cache' });
  assert.equal(loadManifestDir(dir, cache)[0]!.text, 'from the cache');
  fs.writeFileSync(file, 'kind: C, changed\n');
  assert.equal(loadManifestDir(dir, cache)[0]!.text, 'kind: C, changed\n');
  fs.rmSync(file);
  assert.deepEqual(loadManifestDir(dir, cache), []);
  assert.equal(cache.size, 0);
});

test('a ConfigMap volume (files linked through ..data to a timestamped directory) loads each file once; linked directories are followed', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-read-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ts = path.join(dir, '..2026_12_08_10_00_00.000000001');
  fs.mkdirSync(path.join(ts, 'nested'), { recursive: true });
  fs.writeFileSync(path.join(ts, 'a.yaml'), 'kind: A\n');
  fs.writeFileSync(path.join(ts, 'nested', 'b.yaml'), 'kind: B\n');
  fs.symlinkSync(path.basename(ts), path.join(dir, '..data'));
  fs.symlinkSync('..data/a.yaml', path.join(dir, 'a.yaml'));
  fs.symlinkSync('..data/nested', path.join(dir, 'nested'));
  fs.symlinkSync('.', path.join(dir, 'loop'));
  const listing = listManifestFiles(dir);
  assert.deepEqual(listing.files.map((f) => path.relative(dir, f)), ['a.yaml', 'nested/b.yaml']);
  assert.deepEqual([...listing.links].map((f) => path.relative(dir, f)), ['a.yaml']);
  assert.deepEqual(listing.dirs.map((d) => path.relative(dir, d.path)), ['', 'nested']);
  assert.deepEqual(loadManifestDir(dir).map((f) => f.text), ['kind: A\n', 'kind: B\n']);
});
