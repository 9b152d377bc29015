import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstDifference, scanManifests, watchedDirs } from './manifest-scan.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-scan-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a rewrite that keeps size and times (within one clock tick) is still a change: recent files are hashed', (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'a.yaml');
  fs.writeFileSync(f, 'v: 1\n');
  const a = scanManifests(dir);
  fs.writeFileSync(f, 'v: 2\n');
  const b = scanManifests(dir);
  // What a coarse file system clock does to two quick writes: the same stat (ctime cannot be set back, so it is set here).
  const { hash, ...stat } = b.files.get(f)!;
  Object.assign(a.files.get(f)!, stat);
  assert.notEqual(a.files.get(f)!.hash, hash);
  assert.equal(firstDifference(dir, a, b), 'a.yaml');
  assert.equal(firstDifference(dir, b, scanManifests(dir)), undefined, 'nothing changed since');
});

test('old files are compared by stat alone (not read); a write changes the stat', (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'a.yaml');
  fs.writeFileSync(f, 'v: 1\n');
  const later = Date.now() + 60_000;
  const a = scanManifests(dir, later);
  assert.equal(a.files.get(f)?.hash, undefined);
  assert.equal(firstDifference(dir, a, scanManifests(dir, later)), undefined);
  fs.writeFileSync(f, 'v: 2\n');
  assert.equal(firstDifference(dir, a, scanManifests(dir)), 'a.yaml');
});

test('differences: added, removed, hidden files ignored, the directory missing or replaced', (t) => {
  const parent = tempDir(t);
  const dir = path.join(parent, 'm');
  const none = scanManifests(dir);
  assert.equal(none.dirs, undefined);
  fs.mkdirSync(dir);
  const empty = scanManifests(dir);
  assert.equal(firstDifference(dir, none, empty), '(directory appeared)');
  fs.writeFileSync(path.join(dir, '.a.yaml.swp'), 'x');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
  assert.equal(firstDifference(dir, empty, scanManifests(dir)), undefined, 'neither is a manifest');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'b.yml'), 'x');
  const withB = scanManifests(dir);
  assert.equal(firstDifference(dir, empty, withB), 'sub/b.yml');
  assert.equal(firstDifference(dir, withB, empty), 'sub/b.yml');
  fs.renameSync(dir, path.join(parent, 'old'));
  fs.mkdirSync(dir);
  assert.equal(firstDifference(dir, empty, scanManifests(dir)), '(directory replaced)');
  assert.equal(firstDifference(dir, empty, none), '(directory missing)');
});

test('watched directories: every directory read, and the real directory behind linked files', (t) => {
  const dir = tempDir(t);
  const ts = path.join(dir, '..2026_12_08_10_00_00.1');
  fs.mkdirSync(ts);
  fs.writeFileSync(path.join(ts, 'a.yaml'), 'x');
  fs.symlinkSync(path.basename(ts), path.join(dir, '..data'));
  fs.symlinkSync('..data/a.yaml', path.join(dir, 'a.yaml'));
  fs.mkdirSync(path.join(dir, 'sub'));
  const dirs = [...watchedDirs(scanManifests(dir)).keys()].map((p) => path.relative(fs.realpathSync(dir), fs.realpathSync(p)));
  assert.deepEqual(dirs.sort(), ['', '..2026_12_08_10_00_00.1', 'sub']);
});
