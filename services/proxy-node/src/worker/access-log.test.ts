import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test('the request line is JSON; denied_by appears only on a refusal by an access rule', () => {
  // The log writes to fd 1 itself: run it in a child and read what it printed.
  const url = new URL('./access-log.ts', import.meta.url).href;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { AccessLog } from ${JSON.stringify(url)};
    const log = new AccessLog(true, 60_000);
    const p = AccessLog.prefix('n1', 0);
    log.request(p, '', 'r1', 'GET', 'shop.example', '/', 200, '1.1', 'default/shop', 'default/web:80', '10.0.0.1:8080', 1, 12, 0.5);
    log.request(p, '', 'r2', 'GET', 'shop.example', '/"x', 403, '1.1', 'default/shop', 'default/web:80', '', 0, 0, 0.1, 'ip');
    log.close();`], { encoding: 'utf8' });
  const [ok, denied] = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(ok!.status, 200);
  assert.equal('denied_by' in ok!, false);
  assert.deepEqual([denied!.status, denied!.path, denied!.denied_by], [403, '/"x', 'ip']);
});
