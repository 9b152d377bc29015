import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSpecOf, parseStatusRanges, statusAllowed, describeCheck } from './check-spec.ts';

test('status ranges: codes and ranges, comma separated; bad ones say what to write', () => {
  const r = parseStatusRanges('200-299, 301,418');
  assert.deepEqual(r, [[200, 299], [301, 301], [418, 418]]);
  assert.equal(statusAllowed(r, 204), true);
  assert.equal(statusAllowed(r, 302), false);
  assert.equal(statusAllowed(r, 418), true);
  assert.throws(() => parseStatusRanges('2xx'), /write e.g. "200-399"/);
  assert.throws(() => parseStatusRanges('399-200'), /low-high/);
  assert.throws(() => parseStatusRanges('600'), /100-599/);
});

test('check spec from annotations: http by default with the health path, tcp on request', () => {
  const d = checkSpecOf({ id: 'default/a:80', healthPath: '/healthz', annotations: {} });
  assert.equal(describeCheck(d.spec), 'http GET /healthz 200-399');
  assert.deepEqual(d.warnings, []);
  const s = checkSpecOf({ id: 'default/a:80', healthPath: '/', annotations: { 'meshgate.dev/health-status': '200,204' } });
  assert.equal(describeCheck(s.spec), 'http GET / 200,204');
  const t = checkSpecOf({ id: 'default/a:80', healthPath: '/', annotations: { 'meshgate.dev/health-check': 'TCP' } });
  assert.equal(describeCheck(t.spec), 'tcp');
});

test('a bad annotation keeps the default and names the backend, annotation and fix', () => {
  const b = checkSpecOf({ id: 'default/a:80', healthPath: '/', annotations: { 'meshgate.dev/health-status': 'ok', 'meshgate.dev/health-check': 'grpc' } });
  assert.equal(describeCheck(b.spec), 'http GET / 200-399');
  assert.equal(b.warnings.length, 2);
  assert.match(b.warnings[0]!, /default\/a:80: annotation meshgate.dev\/health-check: "grpc" is not a check kind: use "http" or "tcp"/);
  assert.match(b.warnings[1]!, /meshgate.dev\/health-status: "ok" is not a status code or range/);
});
