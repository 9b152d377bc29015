import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestConditions, RoutePathType, RouteRule } from '@meshgate/ingress';
import { RouteTable } from './route-table.ts';
import { queryParam, type RequestView } from './request-view.ts';
import { comparePrecedence } from './precedence.ts';

let n = 0;
/** A Gateway API rule: listener on `ports` with hostname `listener`; precedence as the front end computes it. */
const gw = (o: { host?: string; path?: string; type?: RoutePathType; backend: string; ports?: number[]; listener?: string; cond?: RequestConditions; prec?: (number | string)[] }): RouteRule => ({
  host: o.host ?? '', path: o.path ?? '/', pathType: o.type ?? 'Prefix', backend: o.backend, ingress: 'HTTPRoute default/r',
  id: `r${n++}`, listener: { ports: o.ports ?? [80], hostname: o.listener ?? '' }, ...(o.cond ? { conditions: o.cond } : {}), precedence: o.prec ?? [],
});
const ing = (path: string, backend: string, host = ''): RouteRule => ({ host, path, pathType: 'Prefix', backend, ingress: 'default/ing' });

const view = (method = 'GET', headers: Record<string, string> = {}, query = ''): RequestView => ({ method, query, header: (name) => headers[name] });

test('listener isolation: the most precise listener hostname handles the request, and no other', () => {
  const t = RouteTable.compile({ rules: [
    gw({ listener: 'specific.example.com', host: 'specific.example.com', path: '/specific', type: 'Exact', backend: 'specific' }),
    gw({ listener: '*.example.com', host: '*.example.com', backend: 'wildcard' }),
    gw({ listener: '*.foo.example.com', host: '*.foo.example.com', backend: 'deeper' }),
    gw({ listener: '', backend: 'any' }),
  ] });
  assert.equal(t.find('specific.example.com', '/specific')?.backend, 'specific');
  assert.equal(t.find('specific.example.com', '/otherpath'), undefined, 'no fall through to the wildcard listener');
  assert.equal(t.find('a.b.example.com', '/x')?.backend, 'wildcard', '*. matches several labels');
  assert.equal(t.find('x.foo.example.com', '/x')?.backend, 'deeper', 'the longer wildcard wins');
  assert.equal(t.find('example.com', '/x')?.backend, 'any');
  assert.equal(t.listenerHost(80, 'specific.example.com:80'), 'specific.example.com');
  assert.equal(t.listenerHost(80, 'q.example.com'), '*.example.com');
  assert.equal(t.listenerHost(80, 'other.org'), '');
  assert.equal(t.listenerHost(443, 'other.org'), undefined);
});

test('route hostnames within a listener: exact before longer wildcards before none, falling through when no rule matches', () => {
  const t = RouteTable.compile({ rules: [
    gw({ host: 'a.example.com', path: '/a', backend: 'exact' }),
    gw({ host: '*.example.com', path: '/', backend: 'wild' }),
    gw({ host: '', path: '/z', backend: 'none' }),
  ] });
  assert.equal(t.find('a.example.com', '/a/1')?.backend, 'exact');
  assert.equal(t.find('a.example.com', '/b')?.backend, 'wild');
  assert.equal(t.find('other.org', '/z')?.backend, 'none');
  assert.equal(t.find('other.org', '/y'), undefined);
});

test('path precedence: Exact, then the rule first by precedence among element prefixes and patterns', () => {
  // Precedence tuples as the Gateway API front end writes them: [class, -length, ...].
  const t = RouteTable.compile({ rules: [
    gw({ path: '/', backend: 'root', prec: [2, -1] }),
    gw({ path: '/foo', backend: 'foo', prec: [2, -4] }),
    gw({ path: '/foo/bar', type: 'Exact', backend: 'exact', prec: [0, -8] }),
    gw({ path: '/v[0-9]+/.*', type: 'RegularExpression', backend: 'regex', prec: [1, -10] }),
  ] });
  assert.equal(t.find('h', '/foo/bar')?.backend, 'exact');
  assert.equal(t.find('h', '/foo/bar/')?.backend, 'foo');
  assert.equal(t.find('h', '/foo')?.backend, 'foo');
  assert.equal(t.find('h', '/foobar')?.backend, 'root', 'Prefix is element-wise');
  assert.equal(t.find('h', '/v2/x')?.backend, 'regex');
  assert.equal(t.find('h', '/v2')?.backend, 'root', 'a pattern matches the whole path');
  assert.equal(t.find('h', '/foo/bar')?.pathType, 'Exact');
  assert.equal(t.find('h', '/foo/bar')?.rule?.id !== undefined, true, 'a Gateway match carries its rule');
});

test('method, header and query conditions; a rule needing them does not match without the request view', () => {
  const t = RouteTable.compile({ rules: [
    gw({ backend: 'plain', prec: [2, -1, 1, 0, 0] }),
    gw({ backend: 'post', cond: { method: 'POST' }, prec: [2, -1, 0, 0, 0] }),
    gw({ backend: 'hdr', cond: { headers: [{ name: 'version', type: 'Exact', value: 'two' }] }, prec: [2, -1, 1, -1, 0] }),
    gw({ backend: 'hdr-re', cond: { headers: [{ name: 'x-env', type: 'RegularExpression', value: 'ca?n[a-z]+' }] }, prec: [2, -1, 1, -1, 0, 'b'] }),
    gw({ backend: 'query', cond: { query: [{ name: 'animal', type: 'Exact', value: 'whale' }] }, prec: [2, -1, 1, 0, -1] }),
  ] });
  assert.equal(t.find('h', '/')?.backend, 'plain');
  assert.equal(t.find('h', '/', 80, view('POST'))?.backend, 'post');
  assert.equal(t.find('h', '/', 80, view('GET', { version: 'two' }))?.backend, 'hdr');
  assert.equal(t.find('h', '/', 80, view('GET', { version: 'Two' }))?.backend, 'plain', 'values are case sensitive');
  assert.equal(t.find('h', '/', 80, view('GET', { 'x-env': 'canary' }))?.backend, 'hdr-re');
  assert.equal(t.find('h', '/', 80, view('GET', { 'x-env': 'canary-2' }))?.backend, 'plain', 'the whole value must match');
  assert.equal(t.find('h', '/', 80, view('GET', {}, 'animal=whale'))?.backend, 'query');
  assert.equal(t.find('h', '/', 80, view('GET', {}, 'animal=whaledolphin'))?.backend, 'plain');
});

test('ports: rules are served only on their listener ports; ports 80 and 443 fall back to Ingress rules', () => {
  const t = RouteTable.compile({ rules: [
    ing('/', 'ingress'),
    gw({ path: '/api', backend: 'gw80', ports: [80] }),
    gw({ path: '/api', backend: 'gw8080', ports: [8080] }),
  ] });
  assert.equal(t.find('h', '/api')?.backend, 'gw80', 'no port: the --http listener (80)');
  assert.equal(t.find('h', '/api', 80)?.backend, 'gw80', 'the HTTPRoute wins on a host and path an Ingress also claims');
  assert.equal(t.find('h', '/other', 80)?.backend, 'ingress', 'what no HTTPRoute matches goes to the Ingress rules');
  assert.equal(t.find('h', '/api', 443)?.backend, 'ingress', 'the HTTPRoute is not on 443');
  assert.equal(t.find('h', '/api', 8080)?.backend, 'gw8080');
  assert.equal(t.find('h', '/other', 8080), undefined, 'no Ingress rules on other ports');
  assert.equal(t.size, 3);
});

test('patch(): Gateway rules by id, next to Ingress rules; equal to compile()', () => {
  const a = gw({ path: '/a', backend: 'a' });
  const b = gw({ path: '/b', backend: 'b', ports: [80, 8080] });
  const t = RouteTable.compile({ rules: [ing('/', 'ingress'), a, b] });
  const b2 = { ...b, backend: 'b2' };
  const c = gw({ host: 'x.org', path: '/c', backend: 'c', listener: '' });
  t.patch([{ host: a.host, path: a.path, pathType: a.pathType, id: a.id! }, { host: b.host, path: b.path, pathType: b.pathType, id: b.id! }], [b2, c]);
  const want = RouteTable.compile({ rules: [ing('/', 'ingress'), b2, c] });
  for (const [host, path, port] of [['h', '/a', 80], ['h', '/b', 80], ['h', '/b', 8080], ['x.org', '/c', 80], ['x.org', '/d', 80]] as const) {
    assert.equal(t.find(host, path, port)?.backend, want.find(host, path, port)?.backend, `${host}${path}:${port}`);
  }
  assert.equal(t.size, want.size);
  t.patch([{ host: b2.host, path: b2.path, pathType: b2.pathType, id: b2.id! }, { host: c.host, path: c.path, pathType: c.pathType, id: c.id! }], []);
  assert.equal(t.find('h', '/b', 8080), undefined);
  assert.equal(t.find('h', '/b', 80)?.backend, 'ingress');
});

test('queryParam: first value, percent-decoded, names as written', () => {
  assert.equal(queryParam('a=1&b=2&a=3', 'a'), '1');
  assert.equal(queryParam('a=1&b=2', 'b'), '2');
  assert.equal(queryParam('ab=1', 'a'), undefined);
  assert.equal(queryParam('A=1', 'a'), undefined);
  assert.equal(queryParam('flag&x=1', 'flag'), '');
  assert.equal(queryParam('q=a%20b', 'q'), 'a b');
  assert.equal(queryParam('n%61me=v', 'name'), 'v');
  assert.equal(queryParam('q=%zz', 'q'), '%zz');
  assert.equal(queryParam('', 'q'), undefined);
});

test('comparePrecedence: numbers, strings, prefixes', () => {
  assert.ok(comparePrecedence([0, -5], [0, -4]) < 0);
  assert.ok(comparePrecedence([1, 'a'], [1, 'b']) < 0);
  assert.ok(comparePrecedence([1], [1, 0]) < 0);
  assert.equal(comparePrecedence(undefined, []), 0);
  assert.ok(comparePrecedence([2], ['x']) < 0);
});

test('patch() of Gateway rules gives what compile() gives (random rules, conditions, ports and changes)', () => {
  let seed = 7;
  const rand = (k: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % k; };
  const hosts = ['', 'a.example.com', '*.example.com'];
  const paths = ['/', '/a', '/a/b', '/b', '/a/[0-9]+'];
  const make = (i: number): RouteRule => {
    const p = paths[rand(paths.length)]!;
    const type: RoutePathType = p.includes('[') ? 'RegularExpression' : rand(3) === 0 ? 'Exact' : 'Prefix';
    const cond: RequestConditions | undefined = rand(3) === 0 ? { headers: [{ name: 'v', type: 'Exact', value: String(rand(2)) }] } : rand(4) === 0 ? { method: 'POST' } : undefined;
    return gw({ host: hosts[rand(hosts.length)]!, path: p, type, backend: `b${i}`, ports: rand(2) ? [80] : [80, 8080], listener: rand(4) === 0 ? '*.example.com' : '', ...(cond ? { cond } : {}), prec: [rand(3), -p.length, rand(2), i % 7] });
  };
  const reqs: [string, string, number, RequestView][] = [];
  for (const h of ['a.example.com', 'x.example.com', 'other.org']) for (const p of ['/', '/a', '/a/b', '/a/7', '/b/c']) for (const port of [80, 8080]) for (const v of [view('GET', { v: '0' }), view('POST', { v: '1' })]) reqs.push([h, p, port, v]);
  let next = 0;
  for (let round = 0; round < 30; round++) {
    const live = new Map<string, RouteRule>();
    for (let i = 0; i < 25; i++) { const r = make(next++); live.set(r.id!, r); }
    const table = RouteTable.compile({ rules: [...live.values()] });
    for (let change = 0; change < 5; change++) {
      const removed = [...live.values()].filter(() => rand(4) === 0);
      for (const r of removed) live.delete(r.id!);
      const added = Array.from({ length: 1 + rand(4) }, () => make(next++));
      for (const r of added) live.set(r.id!, r);
      table.patch(removed.map((r) => ({ host: r.host, path: r.path, pathType: r.pathType, id: r.id! })), added);
      const want = RouteTable.compile({ rules: [...live.values()] });
      assert.equal(table.size, want.size);
      for (const [h, p, port, v] of reqs) assert.equal(table.find(h, p, port, v)?.backend, want.find(h, p, port, v)?.backend, `round ${round} change ${change}: ${h}${p}:${port} ${v.method}`);
    }
  }
});
