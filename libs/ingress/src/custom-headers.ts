// ingress-nginx's custom-headers: the entries of a ConfigMap set on the
// Ingress's responses. Resolved when the mesh config is built (the Ingress's
// own parse is cached apart from other objects), so the headers travel in the
// snapshot inside the Ingress's policy, and a change to the ConfigMap is a
// change to that policy.
import { forbiddenHeader } from './header-modifier.ts';
import type { RouteCandidate } from './ingress-routes.ts';
import type { Catalog } from './resolve-backend.ts';
import type { HeaderValue } from './route-model.ts';
import type { IngressPolicy } from './types.ts';

/** ingress-nginx's checks of a custom header's name and value (internal/ingress/annotations/customheaders). */
const NAME = /^[a-zA-Z\d\-_]+$/;
const VALUE = /^[a-zA-Z\d_ :;.,\\/"'?!(){}[\]@<>=\-+*#$&`|~^%]+$/;

export const CUSTOM_HEADERS_ANNOTATION = 'nginx.ingress.kubernetes.io/custom-headers';

/**
 * The routes and policy of an Ingress in `namespace` with the entries of
 * ConfigMap `ref` added to its response headers (under those the Ingress
 * sets itself with meshgate.dev/response-headers-set), or why not.
 */
export function withConfigMapHeaders(ref: string, namespace: string, cat: Catalog, served: { routes: RouteCandidate[]; policy: { policy?: IngressPolicy } }):
  { routes: RouteCandidate[]; policy: { policy: IngressPolicy } } | { error: string } {
  const slash = ref.indexOf('/');
  const ns = slash === -1 ? namespace : ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  if (ns !== namespace) return { error: `ConfigMap ${ref} is in another namespace: custom-headers reads ConfigMaps of the Ingress's own (${namespace})` };
  const data = cat.configMaps.get(`${ns}/${name}`);
  if (data === undefined) return { error: `ConfigMap ${ns}/${name} not found: create it with the response headers as its data ("kubectl create configmap ${name} --from-literal=X-Frame-Options=DENY")` };
  const own = served.policy.policy?.responseHeaders;
  const mine = new Set((own?.set ?? []).map((h) => h.name));
  const set: HeaderValue[] = [];
  for (const key of Object.keys(data).sort()) {
    const value = data[key]!;
    if (!NAME.test(key)) return { error: `ConfigMap ${ns}/${name}: "${key}" is not a header name (letters, digits, - and _)` };
    if (!VALUE.test(value)) return { error: `ConfigMap ${ns}/${name}: the value of ${key} has characters ingress-nginx refuses in a header value` };
    const refused = forbiddenHeader(key, 'response');
    if (refused !== undefined) return { error: `ConfigMap ${ns}/${name}: response header ${refused}` };
    if (!mine.has(key.toLowerCase())) set.push({ name: key.toLowerCase(), value });
  }
  const policy: IngressPolicy = { ...served.policy.policy, responseHeaders: { ...own, set: [...set, ...(own?.set ?? [])] } };
  return { routes: served.routes.map((c) => ({ ...c, rule: { ...c.rule, policy } })), policy: { policy } };
}
