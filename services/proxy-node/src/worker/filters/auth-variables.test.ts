import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedContext } from '../pipeline/test-context.ts';
import { trustedList } from '../forwarded.ts';
import { compileTemplate } from './auth-variables.ts';

test('$remote_addr is the real client address, as the IP lists and rate limits see it (--trusted-proxies)', () => {
  const key = compileTemplate('$remote_addr');
  const direct = routedContext({ remoteAddress: '192.0.2.7', headers: { host: 'a', 'x-forwarded-for': '203.0.113.9' } }).ctx;
  assert.equal(key(direct), '192.0.2.7', 'an untrusted peer\'s X-Forwarded-For is not believed');
  const behind = routedContext({ remoteAddress: '10.0.0.2', headers: { host: 'a', 'x-forwarded-for': '203.0.113.9' } }, {}, { trustedProxies: trustedList(['10.0.0.0/8']) }).ctx;
  assert.equal(key(behind), '203.0.113.9', 'behind a trusted proxy: the client it names, so auth-cache-key $remote_addr is per client');
});
