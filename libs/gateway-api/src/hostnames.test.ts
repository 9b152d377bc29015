import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveHostnames, intersect } from './hostnames.ts';

test('hostname intersection: every row of upstream\'s table ("Hostnames in Gateway API")', () => {
  const rows: [string, string, string | undefined][] = [
    ['www.example.com', 'www.example.com', 'www.example.com'],
    ['*.example.com', 'www.example.com', 'www.example.com'],
    ['*.example.com', 'sub.domain.example.com', 'sub.domain.example.com'],
    ['www.example.com', '*.example.com', 'www.example.com'],
    ['sub.domain.example.com', '*.example.com', 'sub.domain.example.com'],
    ['*.example.com', '*.example.com', '*.example.com'],
    ['*.com', '*.example.com', '*.example.com'],
    ['', 'www.example.com', 'www.example.com'],
    ['', '', ''],
    // Beyond the table.
    ['*.example.com', 'example.com', undefined],
    ['*.example.com', 'www.example.net', undefined],
    ['www.example.com', 'foo.example.com', undefined],
    ['*.example.com', '*.com', '*.example.com'],
    ['*.a.com', '*.b.com', undefined],
    ['*.example.com', 'xexample.com', undefined],
  ];
  for (const [l, r, want] of rows) assert.equal(intersect(l, r), want, `${l || '(none)'} x ${r || '(none)'}`);
});

test('a route\'s hostnames on a listener: the intersections, none when nothing fits, the listener\'s when the route names none', () => {
  assert.deepEqual(effectiveHostnames('*.wildcard.io', ['non.matching.com', 'wildcard.io', 'foo.wildcard.io', 'bar.wildcard.io']), ['foo.wildcard.io', 'bar.wildcard.io']);
  assert.deepEqual(effectiveHostnames('very.specific.com', ['*.specific.com', 'very.specific.com']), ['very.specific.com']);
  assert.deepEqual(effectiveHostnames('a.com', ['b.com']), []);
  assert.deepEqual(effectiveHostnames('*.a.com', []), ['*.a.com']);
});
