import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { H1Server } from './h1-server.ts';

const server = new H1Server({
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 200,
  keepAliveTimeoutMs: 5_000,
  onRequest: (_req, res) => res.end('ok'),
  onUpgrade: (_req, socket) => socket.destroy(),
});
await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', () => r()));
const port = (server.server.address() as net.AddressInfo).port;
after(() => { server.closeAllConnections(); server.close(); });

/** Sends a request head that never ends; resolves with what came back before the close. */
function stalledHead(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    let got = '';
    s.on('data', (b) => { got += b.toString(); });
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5_000, () => { s.destroy(); reject(new Error('no answer within 5 s: the header timeout was not enforced')); });
  });
}

test('the header timeout holds on the first connection and on one after the server went quiet (its sweep stops and starts again)', async () => {
  assert.match(await stalledHead(), /^HTTP\/1\.1 408 /);
  // No connection left: the sweep stopped. A new connection must start it again.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(server.conns.size, 0);
  assert.match(await stalledHead(), /^HTTP\/1\.1 408 /);
});
