import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H2_MAX_HEADER_FIELDS, h2HeaderExcess, h2HeaderOptions } from './h2-limits.ts';

const pseudo = [':method', 'GET', ':scheme', 'https', ':authority', 'shop.example', ':path', '/'];
const fields = (n: number, size = 1) => Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'.repeat(size)]).flat();

test('h2HeaderExcess: the HTTP/1 limits, pseudo-header fields not counted as fields, cookie crumbs as one', () => {
  assert.equal(h2HeaderExcess([...pseudo, ...fields(H2_MAX_HEADER_FIELDS)], 16_384), undefined);
  assert.equal(h2HeaderExcess([...pseudo, ...fields(H2_MAX_HEADER_FIELDS + 1)], 16_384), 'more than 100 header fields');
  const crumbs = Array.from({ length: 50 }, (_, i) => ['cookie', `c${i}=1`]).flat();
  assert.equal(h2HeaderExcess([...pseudo, ...fields(99), ...crumbs], 16_384), undefined, '50 cookie crumbs are one Cookie field');
  // Sizes as the HTTP/1 head would be: name, value and 4 bytes (": " and CRLF) per field, pseudo-headers included.
  const head = pseudo.reduce((n, s, i) => (i % 2 === 0 ? n + s.length + pseudo[i + 1]!.length + 4 : n), 0);
  const fits = 16_384 - head - 'x-big'.length - 4;
  assert.equal(h2HeaderExcess([...pseudo, 'x-big', 'b'.repeat(fits)], 16_384), undefined);
  assert.equal(h2HeaderExcess([...pseudo, 'x-big', 'b'.repeat(fits + 1)], 16_384), 'headers larger than 16384 bytes');
});

test('h2HeaderOptions: node refuses at twice the limits (pairs with the pseudo-headers; list size with 32 octets a field)', () => {
  const o = h2HeaderOptions(16_384);
  assert.equal(o.maxHeaderListPairs, 208);
  assert.equal(o.settings.maxHeaderListSize, 2 * 16_384 + 32 * 104);
});
