/**
 * IP allow and deny lists (the Ingress's ipAccess: ingress-nginx's
 * denylist-source-range and whitelist/allowlist-source-range): the real
 * client address (after --trusted-proxies) in the deny list, or outside a
 * non-empty allow list, gets 403, as nginx's `deny CIDR; allow CIDR; deny
 * all;` does. The lists are compiled into net.BlockLists once per route.
 */
import { isTrusted, trustedList } from '../forwarded.ts';
import type { FilterFactory, Respond } from './filter.ts';

const REFUSED: Respond = { kind: 'respond', status: 403, body: 'meshgate: requests from your address are not allowed here\n', deniedBy: 'ip' };

export const ipAccess: FilterFactory = {
  name: 'ip-access',
  order: 50,
  compile(policy) {
    const deny = policy.ipAccess?.deny?.length ? trustedList(policy.ipAccess.deny) : undefined;
    const allow = policy.ipAccess?.allow?.length ? trustedList(policy.ipAccess.allow) : undefined;
    if (deny === undefined && allow === undefined) return undefined;
    return {
      name: 'ip-access',
      onRequest(ctx) {
        const client = ctx.clientAddress;
        if (deny !== undefined && isTrusted(deny, client)) return REFUSED;
        if (allow !== undefined && !isTrusted(allow, client)) return REFUSED;
        return undefined;
      },
    };
  },
};
