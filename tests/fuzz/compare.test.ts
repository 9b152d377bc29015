import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../hardening/fuzz/prng.ts';
import { canonicalHost, canonicalTarget, compareCase, type Observation } from './compare.ts';
import type { ExchangeResult } from './exchange.ts';
import { generateCase, type FuzzCase } from './grammar.ts';
import { mutateCase } from './mutate-http.ts';
import type { SeenRequest } from './recording-backend.ts';

test('paths are compared after RFC 3986 normalisation, hosts without case, port or trailing dot', () => {
  const same: [string, string][] = [['/a/./b', '/a/b'], ['//a//b', '/a/b'], ['/a/../b', '/b'], ['/%61%7e', '/a~'], ['/a%3ab', '/a%3Ab'], ['http://h:80/x?q=1', '/x?q=1'], ['/a/b/..', '/a/'], ['/../x', '/x']];
  for (const [a, b] of same) assert.equal(canonicalTarget(a), canonicalTarget(b), `${a} ~ ${b}`);
  assert.notEqual(canonicalTarget('/a%2fb'), canonicalTarget('/a/b'));
  assert.notEqual(canonicalTarget('/x?a=%61'), canonicalTarget('/x?a=a'), 'the query is compared as sent');
  assert.equal(canonicalHost('LANE1.fuzz.:80'), 'lane1.fuzz');
});

test('cases are the same bytes for the same seed, id and lane; every tag is in them', () => {
  for (let id = 0; id < 300; id++) {
    const a = generateCase(7, id, 3);
    const b = generateCase(7, id, 3);
    assert.deepEqual(a.steps, b.steps);
    const bytes = Buffer.concat(a.steps.filter((s): s is Buffer => Buffer.isBuffer(s))).toString('latin1');
    for (const q of a.requests) assert.match(bytes, new RegExp(`X-Fuzz-Tag: ${q.tag.replace(/\./g, '\\.')}\r?\n`), `case ${id}: ${q.tag}`);
  }
});

test('mutations keep every tag line', () => {
  const r = new Prng(1);
  const tags = ['fz.0.1.r0', 'fz.0.1.r1'];
  const base = tags.map((t) => `GET / HTTP/1.1\r\nHost: a\r\nX-Fuzz-Tag: ${t}\r\n\r\n`).join('');
  for (let i = 0; i < 500; i++) {
    const m = mutateCase(r, base, tags);
    for (const t of tags) assert.ok(m.bytes.includes(`X-Fuzz-Tag: ${t}\r\n`));
  }
});

const CASE_BYTES = 'POST /p HTTP/1.1\r\nHost: lane0.fuzz\r\nX-Fuzz-Tag: fz.0.5.r0\r\nConnection: content-length\r\nContent-Length: 59\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\nX-Fuzz-Tag: fz.0.5.s0\r\n\r\n';
const c: FuzzCase = { id: 5, lane: 0, kind: 'grammar', steps: [Buffer.from(CASE_BYTES, 'latin1')], requests: [{ tag: 'fz.0.5.r0', method: 'POST', features: ['conn:content-length'] }], features: ['conn:content-length'] };
const seen = (tag: string, target: string, body = ''): SeenRequest => ({ conn: 1, tag, method: tag.endsWith('s0') ? 'GET' : 'POST', target, host: 'lane0.fuzz', body: Buffer.from(body) });
const result = (echoes: (string | number)[], closed = false): ExchangeResult => ({ responses: echoes.map((e) => (typeof e === 'number' ? { status: e, headers: [], body: Buffer.alloc(0) } : { status: 200, echo: e, headers: [], body: Buffer.alloc(0) })), closed, quiet: false, ms: 1 });
const obs = (r: ExchangeResult, complete: SeenRequest[]): Observation => ({ result: r, record: { complete, partial: [], malformed: [] } });

test('a request from inside a body at a backend is smuggling; the same request framed by the client is not', () => {
  const body = CASE_BYTES.slice(CASE_BYTES.indexOf('GET /smuggled'));
  const f = compareCase(c, {
    meshgate: obs(result(['fz.0.5.r0', 'fz.0.5.s0']), [seen('fz.0.5.r0', '/p'), seen('fz.0.5.s0', '/smuggled')]),
    nginx: obs(result(['fz.0.5.r0']), [seen('fz.0.5.r0', '/p', body)]),
  });
  assert.deepEqual(f.filter((x) => x.cls !== 'divergence').map((x) => x.signature), ['smuggled:meshgate:conn:content-length[conn-framing]']);
  assert.ok(f.some((x) => x.signature === 'divergence:body:conn:content-length'));
  const zero = CASE_BYTES.replace('Content-Length: 59', 'Content-Length: 0');
  const c0: FuzzCase = { ...c, steps: [Buffer.from(zero, 'latin1')] };
  const ok = compareCase(c0, {
    meshgate: obs(result(['fz.0.5.r0', 'fz.0.5.s0']), [seen('fz.0.5.r0', '/p'), seen('fz.0.5.s0', '/smuggled')]),
    nginx: obs(result(['fz.0.5.r0', 'fz.0.5.s0']), [seen('fz.0.5.r0', '/p'), seen('fz.0.5.s0', '/smuggled')]),
  });
  assert.deepEqual(ok, []);
});

test('another case\'s answer is a mixup; forwarded by one proxy and refused by the other is a divergence', () => {
  const f = compareCase(c, {
    meshgate: obs(result(['fz.3.99.r0']), []),
    nginx: obs(result([400], true), []),
  });
  assert.ok(f.some((x) => x.cls === 'mixup' && x.proxy === 'meshgate'));
  const g = compareCase(c, {
    meshgate: obs(result([400], true), []),
    nginx: obs(result(['fz.0.5.r0']), [seen('fz.0.5.r0', '/p', CASE_BYTES.slice(CASE_BYTES.indexOf('GET /smuggled')))]),
  });
  assert.deepEqual(g.map((x) => x.signature), ['divergence:400/fwd:conn:content-length']);
});
