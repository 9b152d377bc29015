// Worker thread for the manifest fuzz test: builds one input at a time, so
// the test can bound each case's time and survive a hang or a crash (it
// terminates this thread and starts another).
import { parentPort } from 'node:worker_threads';
import { isDeepStrictEqual } from 'node:util';
import { buildMeshConfig, type SourceFile } from '@meshgate/ingress';
import { checkInvariants } from './invariants.ts';

export interface BuildRequest {
  id: number;
  files: SourceFile[];
  secrets?: string[];
  /** Build twice (in reverse file order) and compare: the result must not depend on order or state. */
  twice?: boolean;
}

export interface BuildReply {
  id: number;
  ms: number;
  /** The build threw: a crash. */
  threw?: string;
  violations: string[];
  rules: number;
  errors: number;
  firstErrors: string[];
}

parentPort!.on('message', (req: BuildRequest) => {
  const t0 = performance.now();
  let reply: BuildReply;
  try {
    const cfg = buildMeshConfig(req.files);
    const violations = checkInvariants(req.files, cfg, req.secrets);
    if (req.twice && !isDeepStrictEqual(buildMeshConfig([...req.files].reverse()), cfg)) violations.push('a second build (files in reverse order) gave a different config');
    reply = { id: req.id, ms: performance.now() - t0, violations, rules: cfg.rules.length, errors: cfg.errors.length, firstErrors: cfg.errors.slice(0, 3).map((e) => `${e.file}:${e.line ?? ''} ${e.field ?? ''} ${e.message}`.slice(0, 300)) };
  } catch (err) {
    reply = { id: req.id, ms: performance.now() - t0, threw: (err as Error).stack ?? String(err), violations: [], rules: 0, errors: 0, firstErrors: [] };
  }
  parentPort!.postMessage(reply);
});
