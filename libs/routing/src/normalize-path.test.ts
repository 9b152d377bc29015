import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePath } from './normalize-path.ts';

test('normalizePath', () => {
  const cases: [string, string | null, string?][] = [
    ['/', '/'],
    ['/users/1', '/users/1'],
    ['/users/1?x=1&y=%2F', '/users/1', 'x=1&y=%2F'],
    ['/?', '/', ''],
    ['/a/../b', '/b'],
    ['/a/./b', '/a/b'],
    ['/a//b', '/a/b'],
    ['//a///b//', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2E%2E/%2e/b', '/b'],
    ['/%2e%2e/x', '/x'],
    ['/.hidden/file', '/.hidden/file'],
    ['/a/..b/c', '/a/..b/c'],
    ['/%41', '/A'],
    ['/%61', '/a'],
    ['/%7Euser', '/~user'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/x%3ay', '/x%3Ay'],
    ['/a%20b', '/a%20b'],
    ['/Users/CASE', '/Users/CASE'],
    ['/a%2Fb', null],
    ['/a%2fb', null],
    ['/a%00b', null],
    ['/a%', null],
    ['/a%4', null],
    ['/a%zz', null],
    ['/a%4g', null],
    ['a/b', null],
    ['', null],
    ['*', null],
    ['http://example.com/a', null],
    ['/a b', null],
    ['/a\tb', null],
    ['/a\\b', null],
    ['/a#frag', null],
    ['/a?b#frag', null],
    ['/a\x00', null],
    ['/a\x7f', null],
  ];
  for (const [inp, path, query] of cases) {
    const got = normalizePath(inp);
    if (path === null) assert.equal(got, null, JSON.stringify(inp));
    else assert.deepEqual(got, { path, query: query ?? '' }, JSON.stringify(inp));
  }
});
