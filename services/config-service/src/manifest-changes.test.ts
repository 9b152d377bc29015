/**
 * No change to the manifests directory is lost (issue 23): real files in a
 * temp dir, a real config service on a real nats-server (JetStream KV), and
 * what it publishes: the latest snapshot's rules must end up exactly what
 * the files say, however the files were written and whenever.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NatsKvStore, NatsTransport } from '@meshgate/actors';
import {
  MessageType, decodeSnapshotContent, msgpackCodec, subjects as makeSubjects, unpackSnapshotBody,
  type KvLike, type SnapshotContent, type SnapshotMessage,
} from '@meshgate/protocol';
import { createLogger } from '@meshgate/telemetry';
import { ingressManifest, serviceManifest, startNatsServer, type NatsServer } from '@meshgate/testing';
import { startConfigService, type ConfigService } from './config-service.ts';

const log = createLogger('test', { level: 'silent' });
let nats: NatsServer;
let transport: NatsTransport;
let n = 0;

before(async () => {
  nats = await startNatsServer();
  transport = await NatsTransport.connect({ servers: nats.url, name: 'manifest-changes-test', codec: msgpackCodec });
});
after(async () => {
  await transport?.close();
  await nats?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Mesh { dir: string; prefix: string; store: KvLike; starting: Promise<ConfigService> }

/** A manifests dir with a Service; `start()` starts a config service on it (its own subjects and KV bucket). */
function meshDir(t: { after(fn: () => unknown): void }): { dir: string; start(wrap?: (kv: KvLike) => KvLike): Promise<Mesh> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-changes-'));
  fs.writeFileSync(path.join(dir, 'svc.yaml'), serviceManifest('users-svc', [8080]));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    /** Resolves once the config service is starting (`starting`: started). */
    async start(wrap = (kv) => kv) {
      const prefix = `mc${++n}`;
      const store = wrap(await NatsKvStore.open(transport.connection, `${prefix}-config`));
      const starting = startConfigService({ transport, log, manifestsDir: dir, store, subjectPrefix: prefix });
      t.after(async () => (await starting).stop());
      return { dir, prefix, store, starting };
    },
  };
}

/** The rules of the latest published snapshot, as `path -> ingress`. */
async function served(m: Mesh): Promise<Map<string, string>> {
  const r = await transport.request<SnapshotMessage | { type: string }>(makeSubjects(m.prefix).snapshotGet, { type: MessageType.SnapshotGet, have: 0 }, 5_000);
  if (r.type !== MessageType.Snapshot) return new Map();
  const content = decodeSnapshotContent<SnapshotContent>(unpackSnapshotBody(r as SnapshotMessage));
  return new Map(content.rules.map((x) => [x.path, x.ingress]));
}

/** Waits until the published rules are exactly `want` (within `ms`), else fails showing the difference. */
async function servesExactly(m: Mesh, want: Map<string, string>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  let got = new Map<string, string>();
  while (Date.now() < deadline) {
    got = await served(m);
    if (got.size === want.size && [...want].every(([p, i]) => got.get(p) === i)) return;
    await sleep(50);
  }
  const missing = [...want].filter(([p, i]) => got.get(p) !== i).map(([p]) => p);
  const extra = [...got.keys()].filter((p) => !want.has(p));
  assert.fail(`published rules differ from the files after ${ms} ms: missing ${missing.length} (${missing.slice(0, 5).join(' ')}), extra ${extra.length} (${extra.slice(0, 5).join(' ')})`);
}

const ingress = (name: string, p: string) => ingressManifest(name, { [p]: 'users-svc' });

test('a file written while the config service starts is published (every moment of the start-up)', async (t) => {
  for (let k = 0; k < 6; k++) {
    const d = meshDir(t);
    const m = await d.start();
    await sleep(k * 3); // 0..15 ms into the start: reading the store, listing, building, storing
    fs.writeFileSync(path.join(d.dir, 'late.yaml'), ingress('late', `/late-${k}`));
    await m.starting;
    await servesExactly(m, new Map([[`/late-${k}`, 'default/late']]), 3_000);
  }
});

test('a file written while a change is being stored is published too', async (t) => {
  const d = meshDir(t);
  let hook: (() => void) | undefined;
  // The store's write is where a rebuild spends its time on a real mesh: the second write lands there.
  const m = await d.start((kv) => ({
    get: (k) => kv.get(k),
    put: (k, v) => kv.put(k, v),
    async update(k, v, r) {
      const h = hook;
      hook = undefined;
      h?.();
      if (h) await sleep(300);
      return kv.update(k, v, r);
    },
  }));
  await m.starting;
  hook = () => fs.writeFileSync(path.join(d.dir, 'b.yaml'), ingress('b', '/b'));
  fs.writeFileSync(path.join(d.dir, 'a.yaml'), ingress('a', '/a'));
  await servesExactly(m, new Map([['/a', 'default/a'], ['/b', 'default/b']]));
  assert.equal(hook, undefined, 'the second write was made during the first one\'s rebuild');
});

test('saves by rename (editors: write a temp file, rename it over the old one) are each published', async (t) => {
  const d = meshDir(t);
  const m = await d.start();
  await m.starting;
  for (let i = 0; i < 5; i++) {
    const tmp = path.join(d.dir, `.a.yaml.swp${i}`);
    fs.writeFileSync(tmp, ingress('a', `/v${i}`));
    fs.renameSync(tmp, path.join(d.dir, 'a.yaml'));
    await servesExactly(m, new Map([[`/v${i}`, 'default/a']]));
  }
  // Same size, same second, in place: only the content differs.
  fs.writeFileSync(path.join(d.dir, 'a.yaml'), ingress('a', '/x1'));
  fs.writeFileSync(path.join(d.dir, 'a.yaml'), ingress('a', '/x2'));
  await servesExactly(m, new Map([['/x2', 'default/a']]));
});

test('git checkout of another branch in the manifests directory publishes that branch', async (t) => {
  const d = meshDir(t);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: d.dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.mkdirSync(path.join(d.dir, 'apps'));
  for (const x of ['a', 'b', 'c']) fs.writeFileSync(path.join(d.dir, 'apps', `${x}.yaml`), ingress(x, `/${x}/main`));
  git('add', '-A');
  git('commit', '-q', '-m', 'main');
  git('checkout', '-q', '-b', 'other');
  fs.writeFileSync(path.join(d.dir, 'apps', 'a.yaml'), ingress('a', '/a/other'));
  fs.rmSync(path.join(d.dir, 'apps', 'b.yaml'));
  fs.mkdirSync(path.join(d.dir, 'more'));
  fs.writeFileSync(path.join(d.dir, 'more', 'd.yaml'), ingress('d', '/d/other'));
  git('add', '-A');
  git('commit', '-q', '-m', 'other');
  git('checkout', '-q', 'main');
  const m = await d.start();
  await m.starting;
  const main = new Map([['/a/main', 'default/a'], ['/b/main', 'default/b'], ['/c/main', 'default/c']]);
  await servesExactly(m, main);
  git('checkout', '-q', 'other');
  await servesExactly(m, new Map([['/a/other', 'default/a'], ['/c/main', 'default/c'], ['/d/other', 'default/d']]));
  git('checkout', '-q', 'main');
  await servesExactly(m, main);
});

test('a ConfigMap volume update (..data swapped to a new timestamped directory) is published, each file once', async (t) => {
  const d = meshDir(t);
  const cm = path.join(d.dir, 'cm');
  fs.mkdirSync(cm);
  /** What the kubelet does: a new timestamped dir, a link to it renamed over ..data, visible links through ..data, the old dir removed. */
  const project = (stamp: string, files: Record<string, string>, old?: string) => {
    const ts = path.join(cm, `..2026_12_08_${stamp}`);
    fs.mkdirSync(ts);
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(ts, f), text);
    fs.symlinkSync(path.basename(ts), path.join(cm, '..data_tmp'));
    fs.renameSync(path.join(cm, '..data_tmp'), path.join(cm, '..data'));
    for (const f of Object.keys(files)) if (!fs.existsSync(path.join(cm, f))) fs.symlinkSync(`..data/${f}`, path.join(cm, f));
    if (old) fs.rmSync(path.join(cm, `..2026_12_08_${old}`), { recursive: true });
  };
  project('10_00_00.000000001', { 'a.yaml': ingress('a', '/a/1') });
  const m = await d.start();
  await m.starting;
  await servesExactly(m, new Map([['/a/1', 'default/a']]));
  project('10_05_00.000000002', { 'a.yaml': ingress('a', '/a/2'), 'b.yaml': ingress('b', '/b/2') }, '10_00_00.000000001');
  await servesExactly(m, new Map([['/a/2', 'default/a'], ['/b/2', 'default/b']]));
  project('10_10_00.000000003', { 'a.yaml': ingress('a', '/a/3'), 'b.yaml': ingress('b', '/b/3') }, '10_05_00.000000002');
  await servesExactly(m, new Map([['/a/3', 'default/a'], ['/b/3', 'default/b']]));
  const status = await (await m.starting).status();
  assert.deepEqual(status.errors, [], 'no object was read twice (duplicates would be errors)');
});

test('1,000 files written in random bursts during start-up and rebuilds: the last snapshot holds exactly the last content', async (t) => {
  const seed = Number(process.env.MESHGATE_BURST_SEED ?? Date.now() % 100_000);
  let x = seed;
  const rand = (k: number) => { // mulberry32
    x = (x + 0x6d2b79f5) | 0;
    let r = Math.imul(x ^ (x >>> 15), 1 | x);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) % k;
  };
  const d = meshDir(t);
  for (let s = 0; s < 10; s++) fs.mkdirSync(path.join(d.dir, `s${s}`));
  const want = new Map<string, string>(); // rule path -> ingress, from what the files say now
  const current = new Map<number, string>(); // file number -> its rule path
  const fileOf = (i: number) => path.join(d.dir, `s${i % 10}`, `f${i}.yaml`);
  let writes = 0;
  let version = 0;
  const op = (i: number) => {
    const old = current.get(i);
    if (old !== undefined && rand(8) === 0) { // delete
      fs.rmSync(fileOf(i));
      want.delete(old);
      current.delete(i);
      return;
    }
    const p = `/f${i}/v${++version}`;
    const text = ingress(`f${i}`, p);
    if (rand(2) === 0) fs.writeFileSync(fileOf(i), text);
    else { // an editor's save: a temp file renamed over the old one
      const tmp = path.join(path.dirname(fileOf(i)), `.f${i}.yaml.tmp`);
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, fileOf(i));
    }
    if (old !== undefined) want.delete(old);
    want.set(p, `default/f${i}`);
    current.set(i, p);
    writes++;
  };
  const m = await d.start();
  let bursts = 0;
  let fresh = 0; // files f0..f999 are first written in this order
  while (fresh < 1_000) {
    const size = 1 + rand(60);
    // New files mostly, and some rewrites and deletes of written ones.
    for (let k = 0; k < size && fresh < 1_000; k++) op(rand(4) === 0 && current.size > 0 ? [...current.keys()][rand(current.size)]! : fresh++);
    bursts++;
    await sleep(rand(150));
  }
  await m.starting;
  t.diagnostic(`seed ${seed} (MESHGATE_BURST_SEED replays it): ${writes} writes (1,000 files) in ${bursts} bursts, ${want.size} files at the end`);
  await servesExactly(m, want, 10_000);
});

test('a change no event reports (a hard link written from outside the directory) is published by the periodic scan', async (t) => {
  const d = meshDir(t);
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-outside-'));
  t.after(() => fs.rmSync(outside, { recursive: true, force: true }));
  fs.writeFileSync(path.join(outside, 'a.yaml'), ingress('a', '/a/1'));
  fs.linkSync(path.join(outside, 'a.yaml'), path.join(d.dir, 'a.yaml'));
  const m = await d.start();
  await m.starting;
  await servesExactly(m, new Map([['/a/1', 'default/a']]));
  await sleep(300); // past the scan that follows arming the watches
  const t0 = Date.now();
  fs.writeFileSync(path.join(outside, 'a.yaml'), ingress('a', '/a/2')); // same inode, no event in the manifests directory
  await servesExactly(m, new Map([['/a/2', 'default/a']]));
  t.diagnostic(`published ${Date.now() - t0} ms after the write (scan period 1 s)`);
});
