/**
 * ssl-redirect (the Ingress's policy, from `meshgate.dev/ssl-redirect` or ingress-nginx's): a plain-HTTP request is answered 308 with the
 * same host and target on the HTTPS listener (ingress-nginx answers 308 too,
 * so the method and body are kept).
 */
import type { FilterFactory } from './filter.ts';

export const sslRedirect: FilterFactory = {
  name: 'ssl-redirect',
  order: 100,
  compile(policy, env) {
    const httpsPort = env.httpsPort;
    if (!policy.sslRedirect || httpsPort === undefined) return undefined;
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    const strip = policy.redirectStripsSlash;
    return {
      name: 'ssl-redirect',
      onRequest(ctx) {
        if (ctx.scheme !== 'http') return undefined;
        const host = ctx.host.replace(/:\d+$/, '');
        // ingress-nginx drops a trailing '/' of the target unless preserve-trailing-slash.
        const target = strip && ctx.originTarget.endsWith('/') ? ctx.originTarget.slice(0, -1) : ctx.originTarget;
        return { kind: 'respond', status: 308, headers: ['location', `https://${host}${port}${target}`] };
      },
    };
  },
};
