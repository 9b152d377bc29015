/**
 * CORS and header rewriting against a real proxy node: ingress-nginx's
 * cors.go, customheaders.go and xforwardedprefix.go cases, and the Gateway
 * API conformance cases for the CORS filter (httproute-cors.go) and the
 * header modifiers (httproute-request-header-modifier.go,
 * httproute-response-header-modifier.go), their requests and expected
 * requests and responses carried over. The header modifiers are stated with
 * the meshgate.dev annotations; the Gateway API CORS policy is set on the
 * built config as the Gateway front end fills it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, request } from '@meshgate/testing';
import type { CorsPolicy, MeshConfig } from '@meshgate/ingress';
import { startBackend, startMesh, service, ingress, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

const N = 'nginx.ingress.kubernetes.io/';
const M = 'meshgate.dev/';
let mesh: Mesh;
let backend: Backend;

/** Answers JSON {headers: [[name, value], ...]} as received, and sets the response headers an `x-backend-set` JSON object names. */
async function headerBackend(): Promise<Backend> {
  return startBackend('hdr', 0, (req, res) => {
    const set = req.headers['x-backend-set'];
    const out: Record<string, string> = set ? JSON.parse(set as string) : {};
    const body = JSON.stringify({ headers: Array.from({ length: req.rawHeaders.length / 2 }, (_, i) => [req.rawHeaders[2 * i]!.toLowerCase(), req.rawHeaders[2 * i + 1]!]) });
    res.writeHead(200, { ...out, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

const GATEWAY_CORS: Record<string, CorsPolicy> = {
  '/cors-1': { allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], wildcard: 'any-labels', allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'],
    exposeHeaders: ['x-header-3', 'x-header-4'], allowCredentials: true, maxAgeSeconds: 3600, credentialedWildcard: 'echo' },
  '/cors-wildcard-methods-headers': { allowOrigins: ['*'], wildcard: 'any-labels', allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: [], allowCredentials: true, maxAgeSeconds: 5, credentialedWildcard: 'echo' },
};

before(async () => {
  backend = await headerBackend();
  const h = (name: string, path: string, annotations: Record<string, string>, host = 'headers.example') => ingress(name, { [path]: 'hdr' }, { host, annotations });
  const cors = (name: string, annotations: Record<string, string>) => ingress(name, { '/': 'hdr' }, { host: `${name}.cors.foo.com`, annotations: { [`${N}enable-cors`]: 'true', ...annotations } });
  mesh = await startMesh({
    'svc.yaml': [service('hdr', [backend.port]), service('dead', [await freePort()])].join('---\n'),
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: custom-headers}\ndata: {My-Custom-Header: "42", My-Custom-Header-Dollar: "$remote_addr"}\n',
    'ing.yaml': [
      h('req-set', '/set', { [`${M}request-headers-set`]: 'X-Header-Set: set-overwrites-values' }),
      h('req-add', '/add', { [`${M}request-headers-add`]: 'X-Header-Add: add-appends-values' }),
      h('req-remove', '/remove', { [`${M}request-headers-remove`]: 'X-Header-Remove' }),
      h('req-multiple', '/multiple', {
        [`${M}request-headers-set`]: 'X-Header-Set-1: header-set-1, X-Header-Set-2: header-set-2',
        [`${M}request-headers-add`]: 'X-Header-Add-1: header-add-1\nX-Header-Add-2: header-add-2\nX-Header-Add-3: header-add-3',
        [`${M}request-headers-remove`]: 'X-Header-Remove-1, X-Header-Remove-2',
      }),
      h('resp-set', '/set', { [`${M}response-headers-set`]: 'X-Header-Set: set-overwrites-values' }, 'response.example'),
      h('resp-add', '/add', { [`${M}response-headers-add`]: 'X-Header-Add: add-appends-values' }, 'response.example'),
      h('resp-remove', '/remove', { [`${M}response-headers-remove`]: 'X-Header-Remove' }, 'response.example'),
      h('resp-case', '/case-insensitivity', {
        [`${M}response-headers-set`]: 'X-Header-Set: header-set', [`${M}response-headers-remove`]: 'X-Header-Remove',
        [`${M}response-headers-add`]: 'X-Header-Add: header-add, x-lowercase-add: lowercase-add, x-Mixedcase-ADD-1: mixedcase-add-1, X-UPPERCASE-ADD: uppercase-add',
      }, 'response.example'),
      h('both', '/response-and-request-header-modifiers', {
        [`${M}response-headers-set`]: 'X-Header-Set-1: header-set-1, X-Header-Set-2: header-set-2', [`${M}response-headers-add`]: 'X-Header-Add-1: header-add-1, X-Header-Add-2: header-add-2',
        [`${M}response-headers-remove`]: 'X-Header-Remove-1, X-Header-Remove-2',
        [`${M}request-headers-set`]: 'X-Header-Set: set-overwrites-values', [`${M}request-headers-add`]: 'X-Header-Add: header-val-1, X-Header-Add-Append: header-val-2',
        [`${M}request-headers-remove`]: 'X-Header-Remove',
      }),
      ingress('custom', { '/': 'hdr', '/down': 'dead' }, { host: 'custom-headers', annotations: { [`${N}custom-headers`]: 'custom-headers' } }),
      ingress('xfp', { '/': 'hdr' }, { host: 'xfp.baz.com', annotations: { [`${N}x-forwarded-prefix`]: '/test/value' } }),
      ingress('noxfp', { '/': 'hdr' }, { host: 'noxfp.baz.com', annotations: { [`${N}x-forwarded-prefix`]: '' } }),
      cors('any', {}),
      cors('list', { [`${N}cors-allow-origin`]: 'https://origin.cors.com:8080, https://origin2.cors.com', [`${N}cors-allow-methods`]: 'POST, GET', [`${N}cors-max-age`]: '200' }),
      cors('wild', { [`${N}cors-allow-origin`]: 'http://*.origin.cors.com, http://*.origin.com:8080', [`${N}cors-allow-credentials`]: 'false' }),
      ingress('gw-cors', { '/cors-1': 'hdr' }, { host: 'gateway.example' }),
      ingress('gw-cors-wild', { '/cors-wildcard-methods-headers': 'hdr' }, { host: 'gateway.example' }),
    ].join('---\n'),
  }, {
    workers: 2,
    transform: (cfg: MeshConfig) => {
      for (const r of cfg.rules) if (r.host === 'gateway.example') r.policy = { ...r.policy, cors: GATEWAY_CORS[r.path]! };
    },
  });
});

after(async () => {
  await mesh?.stop();
  await backend.close();
});

const send = async (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') => {
  const r = await request(`${mesh.http}${path}`, { method, headers: { host, ...headers } });
  const got = r.headers['content-type'] === 'application/json' ? (JSON.parse(r.body) as { headers: [string, string][] }).headers : [];
  /** Every value the backend received for `name`. */
  const upstream = (name: string) => got.filter(([k]) => k === name).map(([, v]) => v);
  return { ...r, upstream };
};
const backendSets = (h: Record<string, string>) => ({ 'x-backend-set': JSON.stringify(h) });

test('RequestHeaderModifier conformance: set overwrites, add appends, remove removes, several at once', async () => {
  let r = await send('headers.example', '/set', { 'Some-Other-Header': 'val' });
  assert.deepEqual([r.upstream('some-other-header'), r.upstream('x-header-set')], [['val'], ['set-overwrites-values']]);
  r = await send('headers.example', '/set', { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' });
  assert.deepEqual(r.upstream('x-header-set'), ['set-overwrites-values']);
  r = await send('headers.example', '/add', { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' });
  assert.deepEqual(r.upstream('x-header-add'), ['some-other-value', 'add-appends-values'], '"some-other-value,add-appends-values"');
  r = await send('headers.example', '/remove', { 'X-Header-Remove': 'val' });
  assert.deepEqual(r.upstream('x-header-remove'), []);
  r = await send('headers.example', '/multiple', { 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val' });
  assert.deepEqual(['x-header-set-1', 'x-header-set-2', 'x-header-add-1', 'x-header-add-2', 'x-header-add-3', 'another-header', 'x-header-remove-1', 'x-header-remove-2'].map(r.upstream),
    [['header-set-1'], ['header-set-2'], ['header-add-1'], ['add-val-2', 'header-add-2'], ['header-add-3'], ['another-header-val'], [], []]);
});

test('ResponseHeaderModifier conformance: set, add, remove and case-insensitive names on the backend\'s response', async () => {
  let r = await send('response.example', '/set', backendSets({ 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' }));
  assert.deepEqual([r.headers['some-other-header'], r.headers['x-header-set']], ['val', 'set-overwrites-values']);
  r = await send('response.example', '/add', backendSets({ 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' }));
  assert.equal(r.headers['x-header-add'], 'some-other-value, add-appends-values');
  r = await send('response.example', '/remove', backendSets({ 'X-Header-Remove': 'val' }));
  assert.equal(r.headers['x-header-remove'], undefined);
  r = await send('response.example', '/case-insensitivity', backendSets({ 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove', 'Another-Header': 'another-header-val' }));
  assert.deepEqual(['x-header-set', 'x-header-add', 'x-lowercase-add', 'x-mixedcase-add-1', 'x-uppercase-add', 'another-header', 'x-header-remove'].map((n) => r.headers[n]),
    ['header-set', 'original-val-add, header-add', 'lowercase-add', 'mixedcase-add-1', 'uppercase-add', 'another-header-val', undefined]);
});

test('request and response modifiers together (response-and-request-header-modifiers)', async () => {
  const r = await send('headers.example', '/response-and-request-header-modifiers', {
    'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Echo': 'echo',
    ...backendSets({ 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val', 'X-Header-Remove-1': 'remove-val-1', 'X-Header-Echo': 'echo' }),
  });
  assert.deepEqual(['x-header-add', 'x-header-set', 'x-header-add-append', 'x-header-echo', 'x-header-remove'].map(r.upstream),
    [['header-val-1'], ['set-overwrites-values'], ['append-val-1', 'header-val-2'], ['echo'], []]);
  assert.deepEqual(['x-header-set-1', 'x-header-set-2', 'x-header-add-1', 'x-header-add-2', 'another-header', 'x-header-echo', 'x-header-remove-1', 'x-header-remove-2'].map((n) => r.headers[n]),
    ['header-set-1', 'header-set-2', 'header-add-1', 'add-val-2, header-add-2', 'another-header-val', 'echo', undefined, undefined]);
});

test('custom-headers (customheaders.go): the ConfigMap\'s headers on responses, $ literally, the proxy\'s own 502 included', async () => {
  const r = await send('custom-headers', '/');
  assert.equal(r.status, 200);
  assert.deepEqual([r.headers['my-custom-header'], r.headers['my-custom-header-dollar']], ['42', '$remote_addr']);
  const down = await send('custom-headers', '/down');
  assert.equal(down.status, 502);
  assert.equal(down.headers['my-custom-header'], '42');
});

test('x-forwarded-prefix (xforwardedprefix.go): set to the value; an empty value adds none', async () => {
  assert.deepEqual((await send('xfp.baz.com', '/')).upstream('x-forwarded-prefix'), ['/test/value']);
  assert.deepEqual((await send('noxfp.baz.com', '/')).upstream('x-forwarded-prefix'), []);
  assert.deepEqual((await send('xfp.baz.com', '/', { 'X-Forwarded-Prefix': '/spoofed' })).upstream('x-forwarded-prefix'), ['/test/value'], 'the client\'s is replaced');
});

test('enable-cors (cors.go): "should enable cors", "should not break functionality" and the preflight answered at the proxy', async () => {
  const r = await send('any.cors.foo.com', '/');
  assert.equal(r.status, 200);
  assert.deepEqual([r.headers['access-control-allow-origin'], r.headers['access-control-allow-credentials']], ['*', 'true']);
  const hits = backend.hits;
  const p = await send('any.cors.foo.com', '/', { Origin: 'http://origin.com:8080', 'Access-Control-Request-Method': 'PUT' }, 'OPTIONS');
  assert.equal(p.status, 204);
  assert.equal(backend.hits, hits, 'the backend never saw it');
  assert.deepEqual(['access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age', 'content-length'].map((n) => p.headers[n]), [
    'GET, PUT, POST, DELETE, PATCH, OPTIONS', 'DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization', '1728000', undefined,
  ]);
});

test('cors-allow-origin lists and wildcards (cors.go): an allowed origin is echoed; others get no CORS header, their preflight 403', async () => {
  const ok = await send('list.cors.foo.com', '/', { Origin: 'https://origin.cors.com:8080' });
  assert.deepEqual([ok.status, ok.headers['access-control-allow-origin'], ok.headers.vary], [200, 'https://origin.cors.com:8080', 'Origin']);
  assert.equal((await send('list.cors.foo.com', '/', { Origin: 'http://no.origin.com' })).headers['access-control-allow-origin'], undefined);
  const pf = await send('list.cors.foo.com', '/', { Origin: 'https://origin2.cors.com', 'Access-Control-Request-Method': 'POST' }, 'OPTIONS');
  assert.deepEqual([pf.status, pf.headers['access-control-allow-methods'], pf.headers['access-control-max-age']], [204, 'POST, GET', '200']);
  const denied = await send('list.cors.foo.com', '/', { Origin: 'https://fooxbar.com', 'Access-Control-Request-Method': 'POST' }, 'OPTIONS');
  assert.deepEqual([denied.status, denied.headers['access-control-allow-origin']], [403, undefined]);
  for (const [origin, allowed] of [['http://foo.origin.cors.com', true], ['http://bar-foo.origin.cors.com', true], ['http://bar.foo.origin.cors.com', false],
    ['http://abc.origin.com:8080', true], ['http://abc.origin.com', false]] as const) {
    const w = await send('wild.cors.foo.com', '/', { Origin: origin });
    assert.equal(w.headers['access-control-allow-origin'], allowed ? origin : undefined, origin);
    assert.equal(w.headers['access-control-allow-credentials'], undefined, 'cors-allow-credentials "false"');
  }
});

test('Gateway API CORS conformance through the proxy: preflights from exact and multi-label wildcard origins, a refused one, credentialed wildcards echoed', async () => {
  for (const origin of ['https://www.foo.com', 'https://xpto.www.bar.com']) {
    const p = await send('gateway.example', '/cors-1', { Origin: origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' }, 'OPTIONS');
    assert.ok([200, 204].includes(p.status));
    assert.deepEqual(['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age', 'access-control-allow-credentials'].map((n) => p.headers[n]),
      [origin, 'GET, OPTIONS', 'x-header-1, x-header-2', 'x-header-3, x-header-4', '3600', 'true']);
    const g = await send('gateway.example', '/cors-1', { Origin: origin });
    assert.deepEqual([g.status, g.headers['access-control-allow-origin']], [200, origin]);
  }
  const bad = await send('gateway.example', '/cors-1', { Origin: 'https://foobar.com', 'access-control-request-method': 'GET' }, 'OPTIONS');
  assert.ok([200, 204, 403].includes(bad.status) && bad.headers['access-control-allow-origin'] === undefined);
  const w = await send('gateway.example', '/cors-wildcard-methods-headers', { Origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1, x-header-2' }, 'OPTIONS');
  assert.deepEqual(['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-allow-credentials'].map((n) => w.headers[n]),
    ['https://other.foo.com', 'PUT', 'x-header-1, x-header-2', 'true']);
});
