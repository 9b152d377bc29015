// Hostname intersection of a listener and a route (upstream's "Hostnames in
// Gateway API"): '' stands for no hostname, which matches anything; a
// leading "*." matches one or more labels.

/** The intersected hostname of one listener hostname and one route hostname, or undefined when they do not overlap. */
export function intersect(listener: string, route: string): string | undefined {
  if (listener === '') return route;
  if (route === '') return listener;
  const lw = listener.startsWith('*.');
  const rw = route.startsWith('*.');
  if (!lw && !rw) return listener === route ? route : undefined;
  if (lw && !rw) return route.endsWith(listener.slice(1)) ? route : undefined;
  if (!lw && rw) return listener.endsWith(route.slice(1)) ? listener : undefined;
  if (listener === route) return route;
  if (route.endsWith(listener.slice(1))) return route;
  if (listener.endsWith(route.slice(1))) return listener;
  return undefined;
}

/** The hostnames a route serves on a listener: every non-empty intersection; [] when the route names hostnames and none fits. */
export function effectiveHostnames(listener: string, routeHostnames: readonly string[]): string[] {
  if (routeHostnames.length === 0) return [listener];
  const out: string[] = [];
  for (const h of routeHostnames) {
    const x = intersect(listener, h);
    if (x !== undefined && !out.includes(x)) out.push(x);
  }
  return out;
}
