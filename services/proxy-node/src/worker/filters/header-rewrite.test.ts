import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedContext } from '../pipeline/test-context.ts';
import { runRequestFilters } from '../pipeline/pipeline.ts';
import { forwardHeaders } from '../pipeline/upstream-request.ts';
import type { HeaderModifier } from '../route-policy.ts';
import { headerRewrite } from './header-rewrite.ts';

const pairs = (flat: readonly string[]) => Array.from({ length: flat.length / 2 }, (_, i) => `${flat[2 * i]}: ${flat[2 * i + 1]}`);

/** What goes upstream for a request with `headers` on a route with `m` (the proxy's own headers left out). */
function upstream(m: HeaderModifier, headers: Record<string, string>): string[] {
  const { ctx } = routedContext({ headers: { host: 'x', ...headers } }, { requestHeaders: m });
  return pairs(forwardHeaders(ctx, false)).filter((h) => !/^(x-forwarded-|x-real-ip|x-request-id)/.test(h));
}

/** The response head the client gets when the backend answered `backend`. */
function response(m: HeaderModifier, backend: string[]): string[] {
  const { ctx } = routedContext({}, { responseHeaders: m });
  const out = [...backend];
  for (const f of ctx.route!.responseFilters) f.onResponse!(ctx, 200, out);
  return pairs(out);
}

// Gateway API conformance: httproute-request-header-modifier.yaml and httproute-response-header-modifier.yaml.
const SET = { set: [{ name: 'x-header-set', value: 'set-overwrites-values' }] };
const ADD = { add: [{ name: 'x-header-add', value: 'add-appends-values' }] };
const MULTIPLE: HeaderModifier = {
  set: [{ name: 'x-header-set-1', value: 'header-set-1' }, { name: 'x-header-set-2', value: 'header-set-2' }],
  add: [{ name: 'x-header-add-1', value: 'header-add-1' }, { name: 'x-header-add-2', value: 'header-add-2' }, { name: 'x-header-add-3', value: 'header-add-3' }],
  remove: ['x-header-remove-1', 'x-header-remove-2'],
};

test('RequestHeaderModifier conformance: set overwrites, add appends, remove removes, several at once, names in any case', () => {
  assert.deepEqual(upstream(SET, { 'some-other-header': 'val' }), ['host: x', 'some-other-header: val', 'x-header-set: set-overwrites-values']);
  assert.deepEqual(upstream(SET, { 'some-other-header': 'val', 'x-header-set': 'some-other-value' }), ['host: x', 'some-other-header: val', 'x-header-set: set-overwrites-values']);
  assert.deepEqual(upstream(ADD, { 'x-header-add': 'some-other-value' }), ['host: x', 'x-header-add: some-other-value', 'x-header-add: add-appends-values']);
  assert.deepEqual(upstream({ remove: ['x-header-remove'] }, { 'x-header-remove': 'val' }), ['host: x']);
  assert.deepEqual(upstream(MULTIPLE, { 'x-header-set-2': 'set-val-2', 'x-header-add-2': 'add-val-2', 'x-header-remove-2': 'remove-val-2', 'another-header': 'another-header-val' }), [
    'host: x', 'x-header-add-2: add-val-2', 'another-header: another-header-val', 'x-header-set-1: header-set-1', 'x-header-set-2: header-set-2',
    'x-header-add-1: header-add-1', 'x-header-add-2: header-add-2', 'x-header-add-3: header-add-3',
  ]);
});

test('ResponseHeaderModifier conformance: the same on the backend\'s response', () => {
  assert.deepEqual(response(SET, ['some-other-header', 'val', 'x-header-set', 'some-other-value']), ['some-other-header: val', 'x-header-set: set-overwrites-values']);
  assert.deepEqual(response(ADD, ['x-header-add', 'some-other-value']), ['x-header-add: some-other-value', 'x-header-add: add-appends-values']);
  assert.deepEqual(response({ remove: ['x-header-remove'] }, ['x-header-remove', 'val', 'a', 'b']), ['a: b']);
  assert.deepEqual(response(MULTIPLE, ['x-header-set-2', 'set-val-2', 'x-header-add-2', 'add-val-2', 'x-header-remove-2', 'remove-val-2', 'another-header', 'another-header-val', 'x-header-remove-1', 'val']), [
    'x-header-add-2: add-val-2', 'another-header: another-header-val', 'x-header-set-1: header-set-1', 'x-header-set-2: header-set-2',
    'x-header-add-1: header-add-1', 'x-header-add-2: header-add-2', 'x-header-add-3: header-add-3',
  ]);
});

test('response headers go on the proxy\'s own answers too (custom-headers\' HSTS on a 403)', () => {
  const { ctx, down } = routedContext({}, { responseHeaders: { set: [{ name: 'strict-transport-security', value: 'max-age=31536000' }] } });
  ctx.route = { ...ctx.route!, requestFilters: [{ name: 'deny', onRequest: () => ({ kind: 'respond', status: 403 }) }] };
  runRequestFilters(ctx, 0, () => assert.fail('refused'));
  assert.equal(down.header('strict-transport-security'), 'max-age=31536000');
});

test('no filter for a route without changes', () => {
  const { ctx } = routedContext({}, {});
  assert.equal(headerRewrite.compile(ctx.route!.policy, { httpsPort: undefined }), undefined);
});
