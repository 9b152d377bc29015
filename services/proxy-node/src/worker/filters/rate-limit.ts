/**
 * Rate and connection limits per client address (the Ingress's rateLimit:
 * ingress-nginx's limit-rps, limit-rpm, limit-connections,
 * limit-burst-multiplier and limit-whitelist; meshgate.dev/limit-scope and
 * limit-status). A request over a limit gets the policy's status (503, as
 * ingress-nginx's limit-req-status-code). The counters live in the node's
 * LimitTable (FilterEnv.limits), shared by its workers; a cluster-wide
 * limit is scaled by this node's share of the mesh's demand for the key
 * (limit-exchange.ts). A request in progress counts until the request ends
 * (a WebSocket: until its upgrade).
 */
import { LimitTable } from '../../limit-table.ts';
import { isTrusted, trustedList } from '../forwarded.ts';
import type { FilterFactory, LimitPort, Respond } from './filter.ts';

/** Without a node's table (unit tests, a bare worker): one for this thread. */
let own: LimitPort | undefined;

export const rateLimit: FilterFactory = {
  name: 'rate-limit',
  order: 60,
  compile(policy, env) {
    const rl = policy.rateLimit;
    const rps = rl?.rps ?? 0;
    const rpm = rl?.rpm ?? 0;
    const conn = rl?.connections ?? 0;
    if (rl === undefined || (rps <= 0 && rpm <= 0 && conn <= 0)) return undefined;
    const port = env.limits ?? (own ??= LimitTable.create(4096));
    const mult = rl.burstMultiplier ?? 5;
    const cluster = rl.scope === 'cluster';
    const exempt = rl.exempt?.length ? trustedList(rl.exempt) : undefined;
    const refused: Respond = { kind: 'respond', status: rl.status ?? 503, body: 'meshgate: too many requests from your address\n', deniedBy: 'rate' };
    const prefix = `${policy.id}\0`;
    return {
      name: 'rate-limit',
      onRequest(ctx) {
        const client = ctx.clientAddress;
        if (exempt !== undefined && isTrusted(exempt, client)) return undefined;
        const slot = port.slot(prefix + client, cluster);
        if (slot < 0) return refused;
        const share = cluster ? port.share(slot) : 1;
        if (rps > 0 && !port.take(slot, 0, rps * share, rps * mult * share)) return refused;
        if (rpm > 0 && !port.take(slot, 1, (rpm / 60) * share, rpm * mult * share)) return refused;
        if (conn > 0) {
          if (!port.acquire(slot, cluster ? Math.max(1, Math.ceil(conn * share)) : conn)) return refused;
          ctx.atEnd(() => port.release(slot));
        }
        return undefined;
      },
    };
  },
};
