import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAll } from './http-parse.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const H = 'Host: a\r\n';
const frame = (s: string, lenient = false) => { const r = parseAll(b(s), lenient); return { n: r.requests.length, end: r.end, bodies: r.requests.map((q) => q.body.toString('latin1')) }; };

test('strict: pipelined requests with Content-Length and chunked bodies (extension, trailer)', () => {
  const r = frame(`GET / HTTP/1.1\r\n${H}\r\n\r\nPOST /p HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcPUT /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n`);
  assert.deepEqual(r, { n: 3, end: 'clean', bodies: ['', 'abc', 'abcde'] });
});

test('strict: what RFC 9112 lets a recipient refuse is an error', () => {
  const bad: [string, RegExp][] = [
    [`GET / HTTP/1.1\r\n${H}X: a\r\n b\r\n\r\n`, /obs-fold/],
    [`GET / HTTP/1.1\n${H}\r\n`, /bare LF/],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, /Content-Length with Transfer-Encoding/],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`, /transfer coding/],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\na`, /several Content-Length/],
    [`POST / HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\na`, /bad Content-Length/],
    ['GET / HTTP/1.1\r\n\r\n', /exactly one Host/],
    [`GET / HTTP/2.0\r\n${H}\r\n`, /version/],
    [`GET /\r\n${H}\r\n`, /bad request line/],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nabcde\r\n0\r\n\r\n`, /bare LF in chunk size line|bad chunk size line/],
  ];
  for (const [s, reason] of bad) assert.match(frame(s).end, reason, JSON.stringify(s));
});

test('strict: an incomplete body asks for more', () => {
  assert.equal(frame(`POST / HTTP/1.1\r\n${H}Content-Length: 9\r\n\r\nabc`).end, 'more');
});

test('lenient: forgiving syntax, the same framing', () => {
  assert.deepEqual(frame(`POST / HTTP/1.1\n${H}Content-Length: 2\n\nabGET / HTTP/1.1\r\n\r\n`, true), { n: 2, end: 'clean', bodies: ['ab', ''] });
  assert.equal(frame(`POST / HTTP/1.1\r\nX: a\r\n b\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\n0\n\n`, true).bodies[0], 'x');
  assert.match(frame(`POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, true).end, /Content-Length with Transfer-Encoding/);
  assert.deepEqual(frame(`POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2 ;a=\x01\r\nxy\r\n0\r\n\r\n`, true).bodies, ['xy'], 'codings before chunked, odd extensions');
  assert.match(frame(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`).end, /transfer coding/, 'strict: chunked alone');
});

test('a request inside a body is body, whatever Connection names', () => {
  const inner = `GET /admin HTTP/1.1\r\n${H}\r\n`;
  const r = parseAll(b(`POST /public/ HTTP/1.1\r\n${H}Connection: close, content-length\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`));
  assert.equal(r.requests.length, 1);
  assert.equal(r.requests[0].body.toString('latin1'), inner);
});
