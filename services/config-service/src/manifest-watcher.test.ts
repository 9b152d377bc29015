import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watchManifests } from './manifest-watcher.ts';

function collector() {
  const seen: string[] = [];
  return {
    seen,
    onChange: (f: string) => { seen.push(f); },
    async next(count: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${seen.length} change(s) seen, wanted ${count}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

test('every save by rename is seen, not only the first (vim, sed -i, git checkout)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-watch-'));
  const file = path.join(dir, 'a.yaml');
  fs.writeFileSync(file, 'v: 0\n');
  const c = collector();
  const w = watchManifests(dir, c.onChange, 30, 200);
  try {
    for (let i = 1; i <= 3; i++) {
      const tmp = path.join(dir, `.a.yaml.tmp${i}`);
      fs.writeFileSync(tmp, `v: ${i}\n`);
      fs.renameSync(tmp, file);
      await c.next(i);
      await new Promise((r) => setTimeout(r, 80));
    }
  } finally {
    w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory moved away and back (or created late) is watched again', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-watch-'));
  const dir = path.join(parent, 'manifests');
  const c = collector();
  const w = watchManifests(dir, c.onChange, 30, 100); // does not exist yet
  try {
    fs.mkdirSync(dir);
    await c.next(1);
    fs.renameSync(dir, path.join(parent, 'old'));
    fs.mkdirSync(dir);
    const n = c.seen.length;
    await c.next(n + 1);
    await new Promise((r) => setTimeout(r, 250));
    const m = c.seen.length;
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'x: 1\n');
    await c.next(m + 1);
    assert.ok(c.seen.includes('b.yaml'));
  } finally {
    w.close();
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test('a change no event reports (written through a hard link outside the directory) is found by the periodic scan', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-watch-'));
  const dir = path.join(parent, 'manifests');
  fs.mkdirSync(dir);
  fs.mkdirSync(path.join(parent, 'elsewhere'));
  const outside = path.join(parent, 'elsewhere', 'x.yaml');
  fs.writeFileSync(outside, 'v: 0\n');
  fs.linkSync(outside, path.join(dir, 'x.yaml'));
  const events: string[] = [];
  const probe = fs.watch(dir, (_e, f) => events.push(String(f)));
  const c = collector();
  const w = watchManifests(dir, c.onChange, 30, 200);
  try {
    await new Promise((r) => setTimeout(r, 100));
    fs.writeFileSync(outside, 'v: 1, longer\n'); // the same inode: the manifests directory hears nothing
    await c.next(1);
    assert.deepEqual(c.seen, ['x.yaml']);
    assert.deepEqual(events, [], 'no event reached the directory: the scan found it');
  } finally {
    probe.close();
    w.close();
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test('a file in a directory created after the watch started is seen, and so is every later write in it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-watch-'));
  const c = collector();
  const w = watchManifests(dir, c.onChange, 30, 60_000); // events only: the periodic scan is out of the way
  try {
    fs.mkdirSync(path.join(dir, 'new', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'new', 'deeper', 'a.yaml'), 'v: 0\n');
    await c.next(1);
    await new Promise((r) => setTimeout(r, 100));
    const n = c.seen.length;
    fs.writeFileSync(path.join(dir, 'new', 'deeper', 'a.yaml'), 'v: 1\n');
    await c.next(n + 1);
    assert.equal(c.seen.at(-1), 'new/deeper/a.yaml');
  } finally {
    w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
