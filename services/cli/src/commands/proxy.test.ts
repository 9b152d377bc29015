import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../flags.ts';
import { dataPlaneArgs, dataPlaneLimitsFrom, proxyFlags } from './proxy.ts';
import { upFlags } from './up.ts';

test('meshgate up hands its data-plane flags to each proxy unchanged', () => {
  const cases = [
    [],
    ['--path-strictness', 'relaxed', '--tls-profile', 'modern', '--tunnel-idle-timeout', '90', '--trusted-proxies', '10.0.0.0/8, 2001:db8::/32'],
  ];
  for (const argv of cases) {
    const up = parseFlags('up', upFlags, argv, {});
    const proxy = parseFlags('proxy', proxyFlags, dataPlaneArgs(up.flags), {});
    assert.deepEqual(dataPlaneLimitsFrom(proxy.flags), dataPlaneLimitsFrom(up.flags), argv.join(' '));
  }
  assert.deepEqual(dataPlaneLimitsFrom(parseFlags('up', upFlags, [], {}).flags), { pathStrictness: 'strict', tlsProfile: 'intermediate', tunnelIdleTimeoutMs: 60_000 });
  assert.deepEqual(dataPlaneLimitsFrom(parseFlags('up', upFlags, cases[1]!, {}).flags), {
    pathStrictness: 'relaxed', tlsProfile: 'modern', tunnelIdleTimeoutMs: 90_000, trustedProxies: ['10.0.0.0/8', '2001:db8::/32'],
  });
});
