import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerModifierProblem, parseHeaderValues } from './header-modifier.ts';
import { analyzeAnnotations } from './ingress-policy.ts';
import { build, ingressV1, WEB } from './test-helpers.ts';

const M = 'meshgate.dev/';
const N = 'nginx.ingress.kubernetes.io/';

test('header lists: "Name: value" separated by commas or lines; a comma inside a value stays; names lower-case', () => {
  assert.deepEqual(parseHeaderValues('X-A: 1, X-B: 2'), { headers: [{ name: 'x-a', value: '1' }, { name: 'x-b', value: '2' }] });
  assert.deepEqual(parseHeaderValues('Cache-Control: no-cache, no-store\nStrict-Transport-Security: max-age=31536000; includeSubDomains\n'),
    { headers: [{ name: 'cache-control', value: 'no-cache, no-store' }, { name: 'strict-transport-security', value: 'max-age=31536000; includeSubDomains' }] });
  assert.deepEqual(parseHeaderValues('X-Empty:'), { headers: [{ name: 'x-empty', value: '' }] });
  assert.ok('error' in parseHeaderValues('just text'));
  assert.ok('error' in parseHeaderValues('X Y: 1'));
  assert.ok('error' in parseHeaderValues(' '));
});

test('hop-by-hop, framing and proxy-owned headers may not be changed; a name twice in set, or a control character, is an error', () => {
  assert.equal(headerModifierProblem({ set: [{ name: 'x-a', value: '1' }], add: [{ name: 'x-a', value: '2' }, { name: 'x-a', value: '3' }], remove: ['x-a'] }, 'request'), undefined);
  for (const name of ['connection', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'keep-alive']) {
    assert.match(headerModifierProblem({ set: [{ name, value: 'x' }] }, 'response')!, /hop-by-hop or framing/, name);
  }
  for (const name of ['host', 'x-forwarded-for', 'x-real-ip', 'forwarded', 'x-request-id', 'traceparent']) {
    assert.ok(headerModifierProblem({ remove: [name] }, 'request'), name);
  }
  assert.equal(headerModifierProblem({ set: [{ name: 'x-forwarded-for', value: 'x' }] }, 'response'), undefined, 'only the request side is the proxy\'s');
  assert.match(headerModifierProblem({ set: [{ name: 'x-a', value: '1' }, { name: 'x-a', value: '2' }] }, 'request')!, /x-a is in set twice/);
  assert.match(headerModifierProblem({ set: [{ name: 'x-a', value: 'a\r\nx-b: 1' }] }, 'request')!, /control character/);
  assert.match(headerModifierProblem({ set: [{ name: 'X-A', value: '1' }] }, 'request')!, /lower-case/);
});

test('meshgate.dev/{request,response}-headers-{set,add,remove} fill the two modifiers; a forbidden header refuses the Ingress, naming it', () => {
  const a = analyzeAnnotations({
    [`${M}request-headers-set`]: 'X-A: 1, X-B: 2', [`${M}request-headers-add`]: 'X-C: 3', [`${M}request-headers-remove`]: 'X-Debug, Cookie2',
    [`${M}response-headers-set`]: 'Strict-Transport-Security: max-age=63072000', [`${M}response-headers-remove`]: 'Server',
  });
  assert.deepEqual(a.settings.requestHeaders, { set: [{ name: 'x-a', value: '1' }, { name: 'x-b', value: '2' }], add: [{ name: 'x-c', value: '3' }], remove: ['x-debug', 'cookie2'] });
  assert.deepEqual(a.settings.responseHeaders, { set: [{ name: 'strict-transport-security', value: 'max-age=63072000' }], remove: ['server'] });
  assert.deepEqual(a.refusals, []);
  const bad = analyzeAnnotations({ [`${M}request-headers-set`]: 'X-Forwarded-For: 1.2.3.4' });
  assert.match(bad.refusals[0]!.message, /^meshgate\.dev\/request-headers-set is refused: request header x-forwarded-for is set by the proxy itself/);
  assert.match(analyzeAnnotations({ [`${M}response-headers-add`]: 'Transfer-Encoding: chunked' }).refusals[0]!.message, /hop-by-hop/);
});

test('x-forwarded-prefix (xforwardedprefix.go): the header with the value; empty: none', () => {
  const a = analyzeAnnotations({ [`${N}x-forwarded-prefix`]: '/test/value' });
  assert.deepEqual(a.settings.requestHeaders, { set: [{ name: 'x-forwarded-prefix', value: '/test/value' }] });
  assert.equal(analyzeAnnotations({ [`${N}x-forwarded-prefix`]: '' }).settings.requestHeaders, undefined);
  assert.equal(analyzeAnnotations({ [`${N}x-forwarded-prefix`]: '/a b' }).refusals.length, 1);
});

const rule = `  rules:
  - host: custom-headers
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
const ann = (a: Record<string, string>) => `  annotations: ${JSON.stringify(a)}\n`;
const configMap = (name: string, data: Record<string, string>, ns = 'default') => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: ${ns}}
data: ${JSON.stringify(data)}
`;

test('custom-headers (customheaders.go): the ConfigMap\'s entries are set on responses, literally ($ too), under the Ingress\'s own response-headers-set', () => {
  const cfg = build({
    'web.yaml': WEB,
    'cm.yaml': configMap('custom-headers', { 'My-Custom-Header': '42', 'My-Custom-Header-Dollar': '$remote_addr', 'X-Frame-Options': 'DENY' }),
    'i.yaml': ingressV1('i', rule, ann({ [`${N}custom-headers`]: 'default/custom-headers', [`${M}response-headers-set`]: 'X-Frame-Options: SAMEORIGIN' })),
  });
  assert.deepEqual(cfg.errors, []);
  assert.deepEqual(cfg.rules[0]!.policy!.responseHeaders, {
    set: [{ name: 'my-custom-header', value: '42' }, { name: 'my-custom-header-dollar', value: '$remote_addr' }, { name: 'x-frame-options', value: 'SAMEORIGIN' }],
  });
  // The name alone means the Ingress's namespace.
  const short = build({ 'web.yaml': WEB, 'cm.yaml': configMap('h', { 'X-A': '1' }), 'i.yaml': ingressV1('i', rule, ann({ [`${N}custom-headers`]: 'h' })) });
  assert.deepEqual(short.rules[0]!.policy!.responseHeaders, { set: [{ name: 'x-a', value: '1' }] });
});

test('custom-headers: a missing ConfigMap, another namespace\'s, or an entry that is no header rejects the Ingress with what to do', () => {
  const reason = (files: Record<string, string>) => {
    const cfg = build({ 'web.yaml': WEB, ...files });
    assert.equal(cfg.ingresses[0]!.state, 'rejected');
    assert.equal(cfg.errors[0]!.field, `metadata.annotations.${N}custom-headers`);
    return cfg.errors[0]!.message;
  };
  const i = (ref: string) => ingressV1('i', rule, ann({ [`${N}custom-headers`]: ref }));
  assert.match(reason({ 'i.yaml': i('default/custom-headers') }), /ConfigMap default\/custom-headers not found: create it/);
  assert.match(reason({ 'cm.yaml': configMap('h', { 'X-A': '1' }, 'other'), 'i.yaml': i('other/h') }), /another namespace/);
  assert.match(reason({ 'cm.yaml': configMap('h', { 'X A': '1' }), 'i.yaml': i('h') }), /"X A" is not a header name/);
  assert.match(reason({ 'cm.yaml': configMap('h', { 'Connection': 'close' }), 'i.yaml': i('h') }), /hop-by-hop/);
});
