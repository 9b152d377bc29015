import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BodyTimeoutError, BodyTooLargeError, ClientGoneError, ConnectError, ConnectTimeoutError, HeadersTimeoutError, InvalidResponseError,
  RequestContentLengthMismatchError, SocketError, InternalError, UpstreamErrorCode, errorStatus, isConnectError, isRetryable,
} from './errors.ts';

test('each error class carries its code and its own name', () => {
  const e = new HeadersTimeoutError(250);
  assert.equal(e.code, UpstreamErrorCode.HeadersTimeout);
  assert.equal(e.name, 'HeadersTimeoutError');
  assert.match(e.message, /250 ms/);
  assert.ok(e instanceof Error);
  assert.equal(new ConnectError('connect ECONNREFUSED', 'ECONNREFUSED').code, 'ECONNREFUSED');
});

test('connect errors: the request never reached the endpoint', () => {
  assert.ok(isConnectError(new ConnectError('refused', 'ECONNREFUSED')));
  assert.ok(isConnectError(new ConnectTimeoutError(1)));
  // A reset is not a connect error: the request may have reached the endpoint (metrics and ejection agree on this).
  assert.ok(!isConnectError(new SocketError('reset', 'ECONNRESET')));
  assert.ok(!isConnectError(new SocketError()));
  assert.ok(!isConnectError(undefined));
});

test('retryable: connect errors and connections that died before any response', () => {
  assert.ok(isRetryable(new ConnectError('refused', 'ECONNREFUSED')));
  assert.ok(isRetryable(new SocketError('reset', 'ECONNRESET')));
  assert.ok(isRetryable(new SocketError()));
  assert.ok(!isRetryable(new HeadersTimeoutError(1)));
  assert.ok(!isRetryable(new InvalidResponseError('HTTP/1.1 600')));
  assert.ok(!isRetryable(new ClientGoneError()));
});

test('one mapping to HTTP and gRPC statuses', () => {
  const cases: [Error & { code: string }, number, number][] = [
    [new ConnectError('refused', 'ECONNREFUSED'), 502, 14],
    [new ConnectTimeoutError(1), 502, 14],
    [new HeadersTimeoutError(1), 504, 4],
    [new InvalidResponseError('bad status'), 502, 14],
    [new SocketError(), 502, 14],
    [new BodyTooLargeError(10), 413, 8],
    [new BodyTimeoutError(), 408, 1],
    [new RequestContentLengthMismatchError(), 400, 13],
    [new ClientGoneError(), 499, 1],
    [new InternalError(new Error('a bug')), 500, 13],
  ];
  for (const [err, status, grpc] of cases) {
    const s = errorStatus(err);
    assert.equal(s.status, status, err.code);
    assert.equal(s.grpc, grpc, err.code);
    assert.ok(s.reason.length > 0);
  }
});
