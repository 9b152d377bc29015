import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LocalTransport } from './index.ts';
import { transportContract } from './transport-contract.ts';

const bus = new LocalTransport();
after(() => bus.close());

transportContract('LocalTransport', () => ({ a: bus, b: bus }));

test('LocalTransport: delivery is asynchronous and every subscriber gets its own copy', async () => {
  const t = new LocalTransport();
  const seen: { n: number }[] = [];
  t.subscribe('x', (m) => { seen.push(m.data as { n: number }); });
  t.subscribe('x', (m) => { seen.push(m.data as { n: number }); });
  const data = { n: 1 };
  t.publish('x', data);
  assert.equal(seen.length, 0, 'not delivered synchronously');
  data.n = 2; // mutating after publish must not leak into deliveries
  await t.flush();
  assert.deepEqual(seen, [{ n: 1 }, { n: 1 }]);
  assert.notEqual(seen[0], seen[1]);
  assert.throws(() => t.publish('x', { f() {} }), { name: 'DataCloneError' });
  await t.close();
});

test('LocalTransport: invalid subjects, close', async () => {
  const t = new LocalTransport();
  assert.throws(() => t.publish('a.*', {}), { code: 'MESHGATE_INVALID_SUBJECT' });
  assert.throws(() => t.subscribe('a.>.b', () => {}), { code: 'MESHGATE_INVALID_SUBJECT' });
  t.subscribe('slow', () => {});
  const pending = t.request('slow', {}, 5000);
  await t.close();
  await assert.rejects(pending, { code: 'MESHGATE_TRANSPORT_CLOSED' });
  assert.throws(() => t.publish('a', {}), { code: 'MESHGATE_TRANSPORT_CLOSED' });
});
