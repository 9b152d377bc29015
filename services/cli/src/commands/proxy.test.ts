import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../flags.ts';
import { dataPlaneArgs, dataPlaneLimitsFrom, proxyFlags } from './proxy.ts';
import { upFlags } from './up.ts';

test('meshgate up hands its data-plane flags to each proxy unchanged', () => {
  const cases = [
    [],
    ['--path-strictness', 'relaxed', '--tls-profile', 'modern', '--tunnel-idle-timeout', '90', '--trusted-proxies', '10.0.0.0/8, 2001:db8::/32'],
    ['--access-log=off', '--header-timeout', '5s', '--body-timeout', '2500ms', '--keepalive-timeout', '10', '--max-header-size', '32k'],
  ];
  for (const argv of cases) {
    const up = parseFlags('up', upFlags, argv, {});
    const proxy = parseFlags('proxy', proxyFlags, dataPlaneArgs(up.flags), {});
    assert.deepEqual(dataPlaneLimitsFrom(proxy.flags), dataPlaneLimitsFrom(up.flags), argv.join(' '));
  }
  // The listener limits' defaults are nginx-like: 30 s for headers, 65 s keep-alive, 16 KiB of headers, the access log on.
  const listener = { accessLog: true, headersTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, maxHeaderSize: 16_384 };
  assert.deepEqual(dataPlaneLimitsFrom(parseFlags('up', upFlags, [], {}).flags), { pathStrictness: 'strict', tlsProfile: 'intermediate', tunnelIdleTimeoutMs: 60_000, ...listener });
  assert.deepEqual(dataPlaneLimitsFrom(parseFlags('up', upFlags, cases[1]!, {}).flags), {
    pathStrictness: 'relaxed', tlsProfile: 'modern', tunnelIdleTimeoutMs: 90_000, trustedProxies: ['10.0.0.0/8', '2001:db8::/32'], ...listener,
  });
  assert.deepEqual(dataPlaneLimitsFrom(parseFlags('up', upFlags, cases[2]!, {}).flags), {
    pathStrictness: 'strict', tlsProfile: 'intermediate', tunnelIdleTimeoutMs: 60_000,
    accessLog: false, headersTimeoutMs: 5_000, bodyTimeoutMs: 2_500, keepAliveTimeoutMs: 10_000, maxHeaderSize: 32_768,
  });
});
