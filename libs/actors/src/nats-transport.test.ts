import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, startNatsServer, type NatsServer } from '@meshgate/testing';
import { jsonCodec, NatsTransport } from './index.ts';
import { transportContract } from './transport-contract.ts';
import { waitFor } from './wait-for.ts';

let nats: NatsServer;
let a: NatsTransport;
let b: NatsTransport;

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  a = await NatsTransport.connect({ servers: nats.url, name: 'test-a', codec: jsonCodec });
  b = await NatsTransport.connect({ servers: nats.url, name: 'test-b', codec: jsonCodec });
});

after(async () => {
  await a?.close();
  await b?.close();
  await nats?.stop();
});

transportContract('NatsTransport', () => ({ a, b }));

test('NatsTransport: exposes the connection, reports status, closes cleanly', async () => {
  assert.equal(a.kind, 'nats');
  assert.equal(a.connection.isClosed(), false);
  const c = await NatsTransport.connect({ servers: nats.url, codec: jsonCodec });
  c.subscribe('undefined.reply', (m) => m.reply!(undefined));
  await c.flush();
  assert.equal(await a.request('undefined.reply', {}), undefined);
  await c.close();
  assert.equal(c.connection.isClosed(), true);
  await assert.rejects(c.request('x', {}), { code: 'MESHGATE_TRANSPORT_CLOSED' });
  assert.throws(() => c.publish('x', {}), { code: 'MESHGATE_TRANSPORT_CLOSED' });
});

test('NatsTransport: connects to a server that starts later, reports disconnect and reconnect', async () => {
  const port = await freePort();
  const connecting = NatsTransport.connect({ servers: `nats://127.0.0.1:${port}`, codec: jsonCodec, reconnectTimeWaitMs: 50 });
  let server = await startNatsServer({ port, jetstream: false });
  const t = await connecting;
  try {
    const statuses: string[] = [];
    t.onStatus((s) => statuses.push(s.type));
    t.subscribe('ping', (m) => m.reply!('pong'));
    await t.flush();
    assert.equal(await t.request('ping', {}), 'pong');
    await server.stop();
    await waitFor(() => statuses.includes('disconnect'), 'disconnect status');
    server = await startNatsServer({ port, jetstream: false });
    await waitFor(() => statuses.includes('reconnect'), 'reconnect status', 5000);
    // Subscriptions are restored after the reconnect.
    assert.equal(await t.request('ping', {}), 'pong');
  } finally {
    await t.close();
    await server.stop();
  }
});
