/**
 * proxy-body-size (the Ingress's policy): a request body over the route's limit gets
 * 413 (nginx client_max_body_size). A declared Content-Length is checked at
 * once; a body of unknown length is counted as it passes, and the upstream
 * attempt is aborted when it goes over.
 */
import { BodyTooLargeError } from '@meshgate/upstream';
import { abortUpstream } from '../pipeline/upstream-call.ts';
import { tapBody } from '../pipeline/body-tap.ts';
import { crashed } from '../pipeline/respond.ts';
import type { FilterFactory } from './filter.ts';

export const bodyLimit: FilterFactory = {
  name: 'body-limit',
  order: 200,
  compile(policy) {
    const max = policy.maxBodyBytes;
    if (max === Infinity) return undefined;
    const message = `meshgate: ${new BodyTooLargeError(max).message} (the Ingress's proxy-body-size)\n`;
    return {
      name: 'body-limit',
      onRequest(ctx) {
        const body = ctx.req.body;
        if (!ctx.hasBody || body === null) return undefined;
        if (ctx.declaredLength > max) return { kind: 'respond', status: 413, body: message };
        if (ctx.declaredLength >= 0) return undefined;
        let seen = 0;
        tapBody(body, (chunk) => {
          seen += chunk.length;
          if (seen <= max || ctx.finished) return;
          try {
            abortUpstream(ctx, new BodyTooLargeError(max));
          } catch (err) {
            crashed(ctx, err);
          }
        });
        return undefined;
      },
    };
  },
};
