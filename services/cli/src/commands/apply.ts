import { AdminMessageType, signAdminRequest, type ApplyReply, type ApplyRequest, type GetReply } from '@meshgate/protocol';
import { parseFlags, usage, UsageError, type FlagSpecs } from '../flags.ts';
import { signingKeyFrom } from '../common.ts';
import { adminCommonFlags, applyContext } from '../admin/context.ts';
import { adminRequest, AdminUnavailableError, connectAdmin } from '../admin/admin-client.ts';
import { readManifests } from '../admin/read-manifests.ts';

export const applyFlags: FlagSpecs = {
  ...adminCommonFlags,
  'operator-signing-key': { type: 'string', help: 'FILE: Ed25519 private key (PEM) to sign the request with, for a config service with --operator-key (default: the --context\'s)' },
  'filename': { type: 'string', short: 'f', help: 'manifest file, directory, or - for stdin' },
  'wait': { type: 'bool', help: 'return once every live proxy node has ACKed the new version, and say how long it took' },
  'timeout': { type: 'int', help: 'give up --wait after this many ms', default: '30000', min: 1 },
};

/**
 * `meshgate apply -f PATH` / `meshgate delete -f PATH`: send manifests to the
 * config service, which keeps them (durably, in the KV store) over its
 * manifests directory. Prints one line per object like kubectl; rejected
 * objects print their errors on stderr and the command exits 1, while the
 * previous version of those objects keeps serving.
 */
export function applyCommand(action: 'apply' | 'delete') {
  return async (argv: string[]): Promise<void> => {
    const { flags, positionals } = parseFlags(action, applyFlags, argv);
    if (flags.help) { process.stdout.write(usage(action, '-f FILE|DIR|- [--wait] [flags]', applyFlags)); return; }
    if (positionals.length) throw new UsageError(`meshgate ${action}: unexpected argument '${positionals[0]}' (use -f PATH)`);
    if (!flags.filename) throw new UsageError(`meshgate ${action}: -f FILE|DIR|- is required`);
    applyContext(flags, action);
    const operatorKey = signingKeyFrom(flags, 'operator-signing-key');
    let files;
    try { files = await readManifests(flags.filename as string, action); } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    }
    const t = await connectAdmin(flags, action).catch(fail);
    let failed = false;
    try {
      const started = performance.now();
      const req: ApplyRequest = { type: AdminMessageType.Apply, action, files };
      // Signed just before it goes: the config service accepts it for a few minutes, once.
      const signed = operatorKey ? signAdminRequest(req, operatorKey, flags['subject-prefix'] as string) : req;
      const reply = await adminRequest<ApplyReply>(t, flags, action, signed).catch(fail);
      for (const r of reply.results) {
        const ns = r.namespace && r.namespace !== 'default' ? ` -n ${r.namespace}` : '';
        if (r.outcome === 'rejected') {
          failed = true;
          process.stdout.write(`${r.resource || 'object'}${ns} rejected\n`);
          for (const e of r.errors) process.stderr.write(`error: ${e}\n`);
        } else if (r.outcome === 'not-found') {
          failed = true;
          process.stderr.write(`Error from server (NotFound): ${r.errors[0] ?? r.resource}\n`);
        } else {
          process.stdout.write(`${r.resource}${ns} ${r.outcome}\n`);
        }
        for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
      }
      if (flags.wait) {
        const changed = reply.results.some((r) => r.outcome !== 'unchanged' && r.outcome !== 'rejected' && r.outcome !== 'not-found');
        const deadline = Date.now() + (flags.timeout as number);
        for (;;) {
          const g = await adminRequest<GetReply>(t, flags, action, { type: AdminMessageType.Get, what: 'nodes' }).catch(fail);
          const live = (g.nodes ?? []).filter((n) => n.state === 'up');
          const acked = live.filter((n) => n.ackedVersion >= reply.version);
          const nacked = live.filter((n) => n.nack && n.nack.version >= reply.version);
          if (acked.length + nacked.length === live.length) {
            const ms = performance.now() - started;
            process.stdout.write(`${changed ? 'applied' : 'serving'} v${reply.version} on ${acked.length}/${live.length} live node(s) in ${ms.toFixed(0)} ms\n`);
            for (const n of nacked) { failed = true; process.stderr.write(`error: node ${n.nodeId} refused v${n.nack!.version} (NACK): ${n.nack!.error}; it keeps v${n.version}\n`); }
            break;
          }
          if (Date.now() > deadline) {
            process.stderr.write(`error: after ${flags.timeout} ms, ${acked.length}/${live.length} node(s) ACKed v${reply.version}; waiting for: ${live.filter((n) => !acked.includes(n) && !nacked.includes(n)).map((n) => `${n.nodeId} (v${n.version})`).join(', ')}\n`);
            failed = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    } finally {
      await t.close();
    }
    if (failed) process.exit(1);
  };
}

function fail(err: unknown): never {
  if (err instanceof AdminUnavailableError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
