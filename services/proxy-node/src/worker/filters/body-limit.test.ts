import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { routedContext } from '../pipeline/test-context.ts';
import { bodyLimit } from './body-limit.ts';

test('body-limit: a declared length over the limit gets 413 at once; under it passes', () => {
  const over = routedContext({ method: 'POST', headers: { host: 'x', 'content-length': '11' }, body: 'hello world' }, { maxBodyBytes: 10 });
  const f = bodyLimit.compile(over.ctx.route!.policy, { httpsPort: undefined })!;
  const v = f.onRequest!(over.ctx);
  assert.equal(v && 'status' in v ? v.status : 0, 413);
  const under = routedContext({ method: 'POST', headers: { host: 'x', 'content-length': '5' }, body: 'hello' }, { maxBodyBytes: 10 });
  assert.equal(f.onRequest!(under.ctx), undefined);
});

test('body-limit: a body of unknown length is counted as it flows, and 413 when it goes over', async () => {
  const body = new PassThrough();
  const { ctx, down } = routedContext({ method: 'POST', headers: { host: 'x', 'transfer-encoding': 'chunked' }, body }, { maxBodyBytes: 10 });
  const f = bodyLimit.compile(ctx.route!.policy, { httpsPort: undefined })!;
  assert.equal(f.onRequest!(ctx), undefined);
  // The tap waits for the upstream to read: nothing is counted, nothing lost, before.
  body.write('0123456789');
  assert.equal(down.status, 0);
  body.on('data', () => {});
  body.write('x');
  await new Promise((r) => setImmediate(r));
  assert.equal(down.status, 413);
  assert.match(down.body, /larger than 10 bytes/);
});

test('body-limit: no filter for a route without a limit', () => {
  const { ctx } = routedContext({}, { maxBodyBytes: Infinity });
  assert.equal(bodyLimit.compile(ctx.route!.policy, { httpsPort: undefined }), undefined);
});
