import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { upNatsAuth } from './nats-auth.ts';

const AUTH_CONF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../infra/compose/nats/auth.conf');
const quoted = (text: string) => [...text.matchAll(/"([^"]+)"/g)].map((x) => x[1]!).sort();

test('up\'s NATS users have the permissions of infra/compose/nats/auth.conf (with a login per node)', () => {
  const conf = fs.readFileSync(AUTH_CONF, 'utf8').replace(/#.*$/gm, '');
  const role = (name: string) => quoted(new RegExp(`\\n  ${name} = \\{([\\s\\S]*?)\\n  \\}`).exec(conf)![1]!);
  const up = upNatsAuth('meshgate', ['proxy-1']);
  const user = (name: string) => {
    const block = new RegExp(`\\{ user: "${name}", password: "[^"]+", permissions: \\{([\\s\\S]*?)\\} \\}`).exec(up.config)![1]!;
    return quoted(block);
  };
  assert.deepEqual(user('config-service'), role('CONFIG_SERVICE'));
  assert.deepEqual(user('proxy-1'), role('PROXY_1'));
  assert.deepEqual(user('health-agent'), role('HEALTH_AGENT'));
  assert.deepEqual(user('operator'), role('OPERATOR'));
});

test('another subject prefix: its own subjects and KV bucket; every password differs', () => {
  const up = upNatsAuth('mesh-b', ['proxy-1', 'proxy-2']);
  assert.match(up.config, /"mesh-b\.node\.v1\.heartbeat\.proxy-2"/);
  assert.match(up.config, /"\$KV\.mesh-b-config\.>"/);
  assert.doesNotMatch(up.config, /"meshgate\./);
  const logins = [up.configService, ...up.proxies, up.agent, up.operator];
  assert.deepEqual(logins.map((l) => l.user), ['config-service', 'proxy-1', 'proxy-2', 'health-agent', 'operator']);
  assert.equal(new Set(logins.map((l) => l.pass)).size, logins.length);
});
