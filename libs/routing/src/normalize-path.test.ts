import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ambiguousPath, normalizePath } from './normalize-path.ts';

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

test('ambiguousPath: dot segments with parameters and encoded backslashes, on normalised paths', () => {
  const refused = [
    '/public/..;/admin', '/public/.;x/admin', '/public/%2e%2e;/admin', '/public/%2E%2e;jsessionid=1/admin',
    '/public/.%2e;/admin', '/..;/admin', '/public/..%3b/admin', '/public/..%3B/admin', '/public/.;/admin',
    '/public/..%5cadmin', '/public/..%5Cadmin', '/a%5cb', '/%5C',
  ];
  for (const raw of refused) {
    const n = normalizePath(raw);
    assert.ok(n, `${raw} is a valid target`);
    assert.ok(ambiguousPath(n.path), `${raw} (normalised ${n.path}) must be refused`);
  }
  const kept = ['/public/a;b/c', '/public;x=1/a', '/public/...;/x', '/public/a..;/x', '/public/..a;/x', '/a/.b;c', '/%3B', '/a%3Bb', '/caf%C3%A9', '/x;', '/'];
  for (const raw of kept) {
    const n = normalizePath(raw);
    assert.ok(n, `${raw} is a valid target`);
    assert.equal(ambiguousPath(n.path), undefined, `${raw} (normalised ${n.path})`);
  }
  assert.match(ambiguousPath('/a/..;/b')!, /dot segment with parameters \(\.\.;\)/);
  assert.match(ambiguousPath('/a/..%3B/b')!, /\(\.\.;\)/);
  assert.match(ambiguousPath('/a%5Cb')!, /encoded backslash/);
});
