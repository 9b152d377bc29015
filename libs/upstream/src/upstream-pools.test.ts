import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { UpstreamPools } from './upstream-pools.ts';
import type { ResponseHandler } from './h1-pool.ts';

const server = http.createServer((req, res) => res.end(`hello ${req.url}`));
server.keepAliveTimeout = 30_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const ep = { id: 'default/s:80/a', address: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
const pools = new UpstreamPools({ idleTimeoutMs: 300 });
after(async () => { await pools.close(); server.closeAllConnections(); server.close(); });

function get(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const h: ResponseHandler = {
      upstream: undefined,
      onResponseHead(status) { resolve(status); },
      onResponseData() {},
      onResponseEnd() {},
      onResponseError: reject,
    };
    pools.h1(ep).dispatch({ method: 'GET', head: `GET ${path} HTTP/1.1\r\nhost: x\r\n`, body: null, bodyLength: 0, headersTimeoutMs: 2_000 }, h);
  });
}

async function closedWithin(ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (pools.h1(ep).all.size === 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

test('idle upstream connections close on time, also after the pools went quiet (the deadline sweep stops and starts again)', async () => {
  assert.equal(await get('/a'), 200);
  assert.equal(pools.h1(ep).all.size, 1);
  assert.ok(await closedWithin(3_000), 'the idle connection closed after its idle time');
  // No connection left: the sweep stopped. A new connection must start it again, or it would never close.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await get('/b'), 200);
  assert.equal(pools.h1(ep).all.size, 1);
  assert.ok(await closedWithin(3_000), 'the next idle connection closed too');
});
