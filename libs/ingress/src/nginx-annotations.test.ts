import assert from 'node:assert/strict';
import fs from 'node:fs';
import { AUTH_NAMES } from './auth-annotations.ts';
import { test } from 'node:test';
import { NGINX_ANNOTATIONS } from './nginx-annotations.ts';
import { withNginxLists } from './nginx-doc.ts';
import { SUPPORTED_NGINX } from './nginx-policy.ts';

const upstream = fs.readFileSync(new URL('./testdata/ingress-nginx-annotations.txt', import.meta.url), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const GUIDE = new URL('../../../docs/ingress-nginx.md', import.meta.url);

test('every ingress-nginx annotation (controller v1.15) is in exactly one list, and the lists hold no other name', () => {
  assert.equal(upstream.length, 138, 'the upstream names file');
  const seen = new Map<string, number>();
  for (const a of NGINX_ANNOTATIONS) seen.set(a.name, (seen.get(a.name) ?? 0) + 1);
  const missing = upstream.filter((n) => !seen.has(n));
  assert.deepEqual(missing, [], 'ingress-nginx annotations in no list');
  assert.deepEqual([...seen].filter(([, n]) => n > 1).map(([name]) => name), [], 'annotations in more than one list');
  assert.deepEqual([...seen.keys()].filter((n) => !upstream.includes(n)), [], 'listed names ingress-nginx does not have');
});

test('each supported annotation has a meshgate.dev name and a translation; each other one says why', () => {
  for (const a of NGINX_ANNOTATIONS) {
    assert.ok(a.why.length > 10, `${a.name}: why`);
    if (a.list === 'supported') {
      assert.match(a.meshgate ?? '', /^meshgate\.dev\//, `${a.name}: meshgate.dev equivalent`);
      assert.ok(SUPPORTED_NGINX.includes(a.name), `${a.name}: translation`);
    } else {
      assert.equal(a.meshgate, undefined, a.name);
    }
    if (a.harmless) assert.equal(a.list, 'refused', `${a.name}: only a refused annotation can be harmless with some values`);
  }
  assert.deepEqual([...SUPPORTED_NGINX].sort(), NGINX_ANNOTATIONS.filter((a) => a.list === 'supported').map((a) => a.name).sort());
});

test('every snippet is refused, and every access-control annotation is refused or supported (never ignored)', () => {
  const refused = new Set(NGINX_ANNOTATIONS.filter((a) => a.list === 'refused').map((a) => a.name));
  const ignored = new Set(NGINX_ANNOTATIONS.filter((a) => a.list === 'ignored').map((a) => a.name));
  const mustRefuse = upstream.filter((n) => n.endsWith('-snippet') || /^(auth-|limit-|cors-|enable-cors$|satisfy$|enable-global-auth$|(whitelist|allowlist|denylist)-source-range$)/.test(n));
  assert.ok(mustRefuse.length > 40);
  // Those implemented (AUTH_NAMES: authentication; IP lists, limits, CORS) are supported; auth-keepalive* tune connections meshgate keeps itself.
  for (const n of mustRefuse) assert.ok(n.endsWith('-snippet') ? refused.has(n) : !ignored.has(n) || n.startsWith('auth-keepalive'), n);
  for (const n of AUTH_NAMES) assert.ok(!refused.has(n), n);
  for (const n of mustRefuse.filter((x) => x.endsWith('-snippet') || x.startsWith('auth-') || x.startsWith('limit-') || x.endsWith('-source-range'))) {
    if (n === 'limit-rate-after') continue; // it means nothing without limit-rate, which is refused whatever its value
    assert.equal(NGINX_ANNOTATIONS.find((a) => a.name === n)!.harmless, undefined, `${n} is refused (or served) whatever its value`);
  }
});

test('docs/ingress-nginx.md holds the lists as the code has them (UPDATE_DOCS=1 rewrites them)', () => {
  const doc = fs.readFileSync(GUIDE, 'utf8');
  const want = withNginxLists(doc);
  if (process.env.UPDATE_DOCS === '1' && want !== doc) fs.writeFileSync(GUIDE, want);
  else assert.equal(doc, want, 'the guide\'s lists are stale: run UPDATE_DOCS=1 node --test libs/ingress/src/nginx-annotations.test.ts');
  for (const n of upstream) assert.ok(doc.includes(`\`${n}\``) || process.env.UPDATE_DOCS === '1', `${n} in the guide`);
});
