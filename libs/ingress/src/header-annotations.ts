// Header rewriting annotations: meshgate's own (`meshgate.dev/request-headers-set`
// and its five siblings) and ingress-nginx's custom-headers (response headers
// from a ConfigMap, resolved by the build: custom-headers.ts) and
// x-forwarded-prefix. A header the proxy owns refuses the Ingress: it could
// not be done, and silently not doing it would surprise.
import { headerModifierProblem, parseHeaderNames, parseHeaderValues } from './header-modifier.ts';
import type { Translation } from './ingress-policy.ts';
import type { HeaderModifier } from './route-model.ts';

type Side = 'request' | 'response';
const FIELD = { request: 'requestHeaders', response: 'responseHeaders' } as const;

function modifier(side: Side, op: 'set' | 'add' | 'remove', v: string): Translation {
  let m: HeaderModifier;
  if (op === 'remove') {
    const r = parseHeaderNames(v);
    if ('error' in r) return { refuse: `${r.error}: write names separated by commas, such as "X-Debug, Server"` };
    m = { remove: r.names };
  } else {
    const r = parseHeaderValues(v);
    if ('error' in r) return { refuse: `${r.error}: write "Name: value", separated by commas or one per line` };
    m = { [op]: r.headers };
  }
  const problem = headerModifierProblem(m, side);
  if (problem !== undefined) return { refuse: problem };
  const names = op === 'remove' ? m.remove! : m[op]!.map((h) => h.name);
  const verb = op === 'remove' ? 'removed from' : op === 'set' ? 'set on' : 'added to';
  return { settings: { [FIELD[side]]: m }, note: `${names.join(', ')} ${verb} ${side === 'request' ? 'requests sent upstream' : 'responses'}` };
}

/** meshgate.dev/{request,response}-headers-{set,add,remove}, by name without the prefix. */
export const HEADER_TRANSLATE: Record<string, (v: string) => Translation> = Object.fromEntries(
  (['request', 'response'] as const).flatMap((side) => (['set', 'add', 'remove'] as const).map((op) => [`${side}-headers-${op}`, (v: string) => modifier(side, op, v)])),
);

/** ingress-nginx's RegexPathWithCapture, which x-forwarded-prefix values must match. */
const PREFIX = /^\/?[\w\-.~:/$]*$/;

export const NGINX_HEADER_TRANSLATE: Record<string, (v: string) => Translation> = {
  'x-forwarded-prefix': (v) => {
    if (v === '') return { note: 'empty: no X-Forwarded-Prefix header, as in ingress-nginx' };
    if (!PREFIX.test(v)) return { refuse: `x-forwarded-prefix "${v}" is not a path (letters, digits, / and -._~:$)` };
    return { settings: { requestHeaders: { set: [{ name: 'x-forwarded-prefix', value: v }] } }, note: `X-Forwarded-Prefix: ${v} on requests sent upstream` };
  },
  'custom-headers': (v) => {
    if (!/^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) {
      return { refuse: `custom-headers "${v}" is not a ConfigMap name ("name" or "namespace/name", the Ingress's own namespace)` };
    }
    return { settings: { responseHeadersFrom: v }, note: `the entries of ConfigMap ${v} are set on responses` };
  },
};
