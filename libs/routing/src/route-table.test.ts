import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PathType, RouteRule } from '@meshgate/ingress';
import { RouteTable, canonicalHost } from './route-table.ts';

const rule = (path: string, pathType: PathType, backend: string, host = ''): RouteRule => ({ host, path, pathType, backend, ingress: 'default/ing' });

// Every row of the "Examples" table in the Kubernetes Ingress documentation
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#examples).
const k8sTable: { name: string; rules: [string, PathType][]; path: string; want: string | undefined }[] = [
  { name: 'Prefix / matches all', rules: [['/', 'Prefix']], path: '/anything/at/all', want: '/' },
  { name: 'Prefix / matches /', rules: [['/', 'Prefix']], path: '/', want: '/' },
  { name: 'Exact /foo matches /foo', rules: [['/foo', 'Exact']], path: '/foo', want: '/foo Exact' },
  { name: 'Exact /foo vs /bar', rules: [['/foo', 'Exact']], path: '/bar', want: undefined },
  { name: 'Exact /foo vs /foo/', rules: [['/foo', 'Exact']], path: '/foo/', want: undefined },
  { name: 'Exact /foo/ vs /foo', rules: [['/foo/', 'Exact']], path: '/foo', want: undefined },
  { name: 'Prefix /foo matches /foo', rules: [['/foo', 'Prefix']], path: '/foo', want: '/foo' },
  { name: 'Prefix /foo matches /foo/', rules: [['/foo', 'Prefix']], path: '/foo/', want: '/foo' },
  { name: 'Prefix /foo/ matches /foo', rules: [['/foo/', 'Prefix']], path: '/foo', want: '/foo/' },
  { name: 'Prefix /foo/ matches /foo/', rules: [['/foo/', 'Prefix']], path: '/foo/', want: '/foo/' },
  { name: 'Prefix /aaa/bb vs /aaa/bbb', rules: [['/aaa/bb', 'Prefix']], path: '/aaa/bbb', want: undefined },
  { name: 'Prefix /aaa/bbb matches /aaa/bbb', rules: [['/aaa/bbb', 'Prefix']], path: '/aaa/bbb', want: '/aaa/bbb' },
  { name: 'Prefix /aaa/bbb/ matches /aaa/bbb (ignores trailing slash)', rules: [['/aaa/bbb/', 'Prefix']], path: '/aaa/bbb', want: '/aaa/bbb/' },
  { name: 'Prefix /aaa/bbb matches /aaa/bbb/ (matches trailing slash)', rules: [['/aaa/bbb', 'Prefix']], path: '/aaa/bbb/', want: '/aaa/bbb' },
  { name: 'Prefix /aaa/bbb matches /aaa/bbb/ccc (subpath)', rules: [['/aaa/bbb', 'Prefix']], path: '/aaa/bbb/ccc', want: '/aaa/bbb' },
  { name: 'Prefix /aaa/bbb vs /aaa/bbbxyz (no string prefix match)', rules: [['/aaa/bbb', 'Prefix']], path: '/aaa/bbbxyz', want: undefined },
  { name: 'Prefix /, /aaa: /aaa/ccc uses /aaa', rules: [['/', 'Prefix'], ['/aaa', 'Prefix']], path: '/aaa/ccc', want: '/aaa' },
  { name: 'Prefix /, /aaa, /aaa/bbb: /aaa/bbb uses /aaa/bbb', rules: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], path: '/aaa/bbb', want: '/aaa/bbb' },
  { name: 'Prefix /, /aaa, /aaa/bbb: /ccc uses /', rules: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], path: '/ccc', want: '/' },
  { name: 'Prefix /aaa vs /ccc: default backend', rules: [['/aaa', 'Prefix']], path: '/ccc', want: undefined },
  { name: 'Mixed Prefix+Exact /foo: /foo prefers Exact', rules: [['/foo', 'Prefix'], ['/foo', 'Exact']], path: '/foo', want: '/foo Exact' },
  { name: 'Mixed Exact+Prefix /foo (other order): Exact', rules: [['/foo', 'Exact'], ['/foo', 'Prefix']], path: '/foo', want: '/foo Exact' },
  { name: 'Mixed: /foo/ goes to Prefix', rules: [['/foo', 'Prefix'], ['/foo', 'Exact']], path: '/foo/', want: '/foo' },
  // Beyond the table.
  { name: 'case sensitive', rules: [['/Foo', 'Prefix']], path: '/foo', want: undefined },
  { name: 'longest wins regardless of order', rules: [['/a/b/c', 'Prefix'], ['/a', 'Prefix'], ['/a/b', 'Prefix']], path: '/a/b/c/d', want: '/a/b/c' },
  { name: 'longer Prefix beats shorter Exact? no: Exact must equal path', rules: [['/a', 'Exact'], ['/a/b', 'Prefix']], path: '/a/b', want: '/a/b' },
  { name: 'Exact beats longer-looking Prefix with trailing slash', rules: [['/a/', 'Exact'], ['/a/', 'Prefix']], path: '/a/', want: '/a/ Exact' },
  { name: 'IS glob /users/* matches /users/', rules: [['/users/*', 'ImplementationSpecific']], path: '/users/', want: '/users/*' },
  { name: 'IS glob /users/* matches below', rules: [['/users/*', 'ImplementationSpecific']], path: '/users/1/2', want: '/users/*' },
  { name: 'IS glob /users/* not /users', rules: [['/users/*', 'ImplementationSpecific']], path: '/users', want: undefined },
  { name: 'IS glob /users/* not /usersx', rules: [['/users/*', 'ImplementationSpecific']], path: '/usersx/a', want: undefined },
  { name: 'IS glob /* matches /', rules: [['/*', 'ImplementationSpecific']], path: '/', want: '/*' },
  { name: 'IS plain acts as Prefix', rules: [['/api', 'ImplementationSpecific']], path: '/api/v1', want: '/api' },
  { name: 'IS plain acts as Prefix, exact path', rules: [['/api', 'ImplementationSpecific']], path: '/api', want: '/api' },
  { name: 'IS plain acts as Prefix, not string prefix', rules: [['/api', 'ImplementationSpecific']], path: '/apix', want: undefined },
  { name: 'Prefix beats IS at same depth', rules: [['/a/*', 'ImplementationSpecific'], ['/a', 'Prefix']], path: '/a/x', want: '/a' },
  { name: 'deeper IS glob beats shallower Prefix', rules: [['/a', 'Prefix'], ['/a/b/*', 'ImplementationSpecific']], path: '/a/b/c', want: '/a/b/*' },
  { name: 'glob needs the slash, falls back to shorter Prefix', rules: [['/', 'Prefix'], ['/users/*', 'ImplementationSpecific']], path: '/users', want: '/' },
  { name: 'Prefix rule with escaped unreserved char', rules: [['/%7Euser', 'Prefix']], path: '/~user/x', want: '/%7Euser' },
];

test('Kubernetes Ingress path matching table', () => {
  for (const c of k8sTable) {
    const t = RouteTable.compile({ rules: c.rules.map(([p, ty]) => rule(p, ty, ty === 'Exact' ? `${p} Exact` : p)) });
    assert.equal(t.find('example.com', c.path)?.backend, c.want, c.name);
  }
});

test('host matching: exact, one-label wildcard, then no-host rules; case and port ignored', () => {
  const t = RouteTable.compile({
    rules: [
      rule('/', 'Prefix', 'exact', 'foo.bar.com'),
      rule('/', 'Prefix', 'wild', '*.foo.com'),
      rule('/', 'Prefix', 'wild-bar', '*.bar.com'),
      rule('/', 'Prefix', 'any'),
      rule('/only', 'Prefix', 'partial', 'partial.com'),
    ],
    defaultBackend: { backend: 'default', ingress: 'default/ing' },
  });
  const cases: [string, string, string][] = [
    ['foo.bar.com', '/', 'exact'],
    ['FOO.Bar.COM:8443', '/x', 'exact'],
    ['foo.bar.com.', '/x', 'exact'],
    ['bar.foo.com', '/', 'wild'],
    ['baz.bar.foo.com', '/', 'any'], // wildcard covers exactly one label
    ['foo.com', '/', 'any'],
    ['.foo.com', '/', 'any'],
    ['x.bar.com', '/', 'wild-bar'], // exact foo.bar.com does not shadow other subdomains
    ['unknown.org', '/', 'any'],
    ['', '/', 'any'],
    ['[::1]:8080', '/', 'any'],
    ['127.0.0.1:80', '/', 'any'],
    ['partial.com', '/only/x', 'partial'],
    ['partial.com', '/other', 'default'], // host matched, no path: default backend, no fall through to no-host rules
  ];
  for (const [host, path, want] of cases) assert.equal(t.find(host, path)?.backend, want, `${host} ${path}`);
});

test('default backend: pathType Default; undefined without one', () => {
  const t = RouteTable.compile({ rules: [rule('/a', 'Exact', 'a')], defaultBackend: { backend: 'def', ingress: 'ns/d' } });
  assert.deepEqual(t.find('h', '/b'), { backend: 'def', ingress: 'ns/d', host: '', path: '', pathType: 'Default' });
  assert.equal(RouteTable.compile({ rules: [] }).find('h', '/'), undefined);
  assert.equal(RouteTable.compile({ rules: [] }).size, 0);
});

test('RouteMatch carries the rule; equivalent rules: first wins and size counts installed rules', () => {
  const t = RouteTable.compile({
    rules: [
      { host: 'A.example.com', path: '/x/', pathType: 'Prefix', backend: 'first', ingress: 'ns/one' },
      { host: 'a.example.com', path: '/x', pathType: 'Prefix', backend: 'second', ingress: 'ns/two' },
      { host: 'a.example.com', path: '/x', pathType: 'Exact', backend: 'exact', ingress: 'ns/two' },
    ],
  });
  assert.equal(t.size, 2);
  assert.deepEqual(t.find('a.example.com', '/x/y'), { backend: 'first', ingress: 'ns/one', host: 'a.example.com', path: '/x/', pathType: 'Prefix' });
  assert.equal(t.find('a.example.com', '/x')?.backend, 'exact');
});

test('canonicalHost', () => {
  const cases: [string, string][] = [
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com.:80', 'example.com'],
    ['[::1]:80', '[::1]'],
    ['[FE80::1]', '[fe80::1]'],
    ['', ''],
  ];
  for (const [inp, want] of cases) assert.equal(canonicalHost(inp), want, inp);
});

test('10,000 rules: every host and path still resolves', () => {
  const rules: RouteRule[] = [];
  for (let i = 0; i < 10_000; i++) rules.push(rule(`/svc${i % 100}/v${i}`, i % 2 ? 'Prefix' : 'Exact', `b${i}`, `h${i % 100}.example.com`));
  const t = RouteTable.compile({ rules });
  assert.equal(t.size, 10_000);
  for (let i = 0; i < 10_000; i += 97) {
    const want = `b${i}`;
    assert.equal(t.find(`h${i % 100}.example.com`, i % 2 ? `/svc${i % 100}/v${i}/deeper` : `/svc${i % 100}/v${i}`)?.backend, want);
  }
});

test('patch() gives the table compile() gives for the changed rules (random rule sets and changes)', () => {
  let seed = 42;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const hosts = ['', 'a.example.com', 'b.example.com', '*.example.com', '*.other.org'];
  const segs = ['a', 'b', 'c', 'users', '%7Eu'];
  const types: PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific'];
  const randomRule = (i: number): RouteRule => {
    const depth = 1 + rand(3);
    let path = Array.from({ length: depth }, () => `/${segs[rand(segs.length)]}`).join('');
    const pathType = types[rand(3)]!;
    if (pathType === 'ImplementationSpecific' && rand(2) === 0) path += '/*';
    else if (rand(4) === 0) path += '/';
    return { host: hosts[rand(hosts.length)]!, path, pathType, backend: `b${i}`, ingress: 'default/ing' };
  };
  // One rule per matching slot, as the config service publishes them (conflicting paths are refused there).
  const slotKey = (r: RouteRule) => {
    const glob = r.pathType === 'ImplementationSpecific' && r.path.endsWith('/*');
    let p = r.path.replace('%7E', '~');
    if (r.pathType !== 'Exact') { if (glob) p = p.slice(0, -2); if (p.endsWith('/')) p = p.slice(0, -1); }
    return `${r.host}|${r.pathType === 'Exact' ? 'E' : r.pathType === 'Prefix' ? 'P' : glob ? 'G' : 'I'}|${p}`;
  };
  const requests: [string, string][] = [];
  for (const h of ['a.example.com', 'b.example.com', 'x.example.com', 'y.other.org', 'none.net']) {
    for (let i = 0; i < 60; i++) requests.push([h, Array.from({ length: 1 + rand(4) }, () => `/${segs[rand(segs.length)]!.replace('%7E', '~')}`).join('') + (rand(3) === 0 ? '/' : '')]);
    requests.push([h, '/']);
  }
  let next = 0;
  for (let round = 0; round < 40; round++) {
    const rules = new Map<string, RouteRule>();
    for (let i = 0; i < 30; i++) { const r = randomRule(next++); if (!rules.has(slotKey(r))) rules.set(slotKey(r), r); }
    const table = RouteTable.compile({ rules: [...rules.values()], defaultBackend: { backend: 'default', ingress: 'default/ing' } });
    for (let change = 0; change < 5; change++) {
      const removed = [...rules.values()].filter(() => rand(5) === 0);
      for (const r of removed) rules.delete(slotKey(r));
      const added: RouteRule[] = [];
      for (let i = 0; i < 1 + rand(6); i++) {
        const r = randomRule(next++);
        const old = rules.get(slotKey(r));
        if (old && removed.includes(old)) continue;
        rules.set(slotKey(r), r); // a new rule, or a changed one (same slot, other backend)
        added.push(r);
      }
      table.patch(removed, added);
      const want = RouteTable.compile({ rules: [...rules.values()], defaultBackend: { backend: 'default', ingress: 'default/ing' } });
      assert.equal(table.size, want.size, `round ${round} change ${change}: size`);
      for (const [h, p] of requests) assert.equal(table.find(h, p)?.backend, want.find(h, p)?.backend, `round ${round} change ${change}: ${h}${p}`);
    }
  }
});

test('patch(): a host whose last rule goes no longer hides the wildcard and no-host rules', () => {
  const t = RouteTable.compile({ rules: [rule('/x', 'Prefix', 'exact-host', 'a.example.com'), rule('/', 'Prefix', 'wild', '*.example.com'), rule('/', 'Prefix', 'any')] });
  assert.equal(t.find('a.example.com', '/y'), undefined, 'the exact host has rules: only they are searched');
  t.patch([{ host: 'a.example.com', path: '/x', pathType: 'Prefix' }], []);
  assert.equal(t.find('a.example.com', '/y')?.backend, 'wild');
  t.patch([{ host: '*.example.com', path: '/', pathType: 'Prefix' }], []);
  assert.equal(t.find('a.example.com', '/y')?.backend, 'any');
  assert.equal(t.size, 1);
});
