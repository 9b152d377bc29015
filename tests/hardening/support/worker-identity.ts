import assert from 'node:assert/strict';
import { request } from '@meshgate/testing';
import type { Mesh } from './mesh.ts';

/**
 * Which worker is serving: the node's count of replaced workers (/status
 * `workerRestarts`, incremented when a worker thread dies) and the number of
 * "worker exited" lines in the proxy's log. A test reads it before and after
 * a hostile exchange; any change means a worker died.
 */
export interface WorkerIdentity { restarts: number; exits: number }

export async function workerIdentity(mesh: Mesh): Promise<WorkerIdentity> {
  const r = await request(`http://127.0.0.1:${mesh.adminPort}/status`);
  assert.equal(r.status, 200, `admin /status: ${r.body}`);
  const restarts = (JSON.parse(r.body) as { workerRestarts: number }).workerRestarts;
  const exits = mesh.proxy.output().split('worker exited').length - 1;
  return { restarts, exits };
}

/**
 * Asserts the worker that was serving at `before` still is. The node hears
 * of a dead worker asynchronously, so this waits a little first.
 */
export async function assertSameWorker(mesh: Mesh, before: WorkerIdentity, what: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 150));
  const now = await workerIdentity(mesh);
  const log = mesh.proxy.output().split('\n').filter((l) => /worker exited|Error|error/.test(l)).slice(-5).join('\n');
  assert.deepEqual(now, before, `${what}: a worker died (restarts ${before.restarts} -> ${now.restarts}); proxy log:\n${log}`);
  assert.equal(mesh.proxy.child.exitCode, null, `${what}: the proxy process is alive`);
}
