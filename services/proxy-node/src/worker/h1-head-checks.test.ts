import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONNECTION_FORBIDDEN, connectionNamesForbidden, headRefusal, refusalStatus } from './h1-head-checks.ts';

test('Connection tokens: framing, Host and the headers the proxy sets are refused, in any case and position', () => {
  for (const name of CONNECTION_FORBIDDEN) {
    assert.equal(connectionNamesForbidden(`keep-alive, ${name.toUpperCase()}`), true, name);
    assert.equal(connectionNamesForbidden(` ${name} ,close`), true, name);
  }
  for (const ok of [undefined, 'keep-alive', 'close', 'Keep-Alive', 'upgrade', 'keep-alive, x-custom', 'te', '']) {
    assert.equal(connectionNamesForbidden(ok), false, String(ok));
  }
});

test('head refusals and their statuses', () => {
  const h = (o: Record<string, string>) => ({ host: 'x', ...o });
  assert.equal(headRefusal(h({}), 1), undefined);
  assert.equal(headRefusal({}, 1), 'MESHGATE_NO_HOST');
  assert.equal(headRefusal({}, 0), undefined, 'HTTP/1.0 needs no Host');
  assert.equal(headRefusal(h({ connection: 'close, content-length' }), 1), 'MESHGATE_CONNECTION_HEADER');
  assert.equal(headRefusal(h({ 'transfer-encoding': 'chunked' }), 0), 'MESHGATE_TE_HTTP10');
  assert.equal(headRefusal(h({ 'transfer-encoding': 'Chunked' }), 1), undefined);
  for (const te of ['identity, chunked', 'gzip, chunked', 'chunked, chunked', 'deflate']) {
    assert.equal(headRefusal(h({ 'transfer-encoding': te }), 1), 'MESHGATE_TE_UNSUPPORTED', te);
  }
  assert.equal(refusalStatus('MESHGATE_TE_UNSUPPORTED'), 501);
  assert.equal(refusalStatus('HPE_HEADER_OVERFLOW'), 431);
  assert.equal(refusalStatus('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 413);
  assert.equal(refusalStatus('MESHGATE_CONNECTION_HEADER'), 400);
  assert.equal(refusalStatus('HPE_INVALID_METHOD'), 400);
});
