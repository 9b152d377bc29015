// Runs each front end of a build over its objects, after the Ingresses,
// and gathers what they add.
import type { FrontEnd, FrontEndInput, FrontEndObject, FrontEndOutput } from './front-end.ts';
import type { ObjectHeader } from './object-meta.ts';

export function runFrontEnds(
  mine: Map<FrontEnd, { objects: FrontEndObject[]; observed: ObjectHeader[] }>,
  shared: Omit<FrontEndInput, 'objects' | 'observed'>,
): FrontEndOutput {
  const out: FrontEndOutput = { rules: [], tls: [], warnings: [], ingressNotes: new Map() };
  for (const [fe, { objects, observed }] of mine) {
    const r = fe.build({ ...shared, objects, observed });
    out.rules.push(...r.rules);
    out.tls.push(...r.tls);
    out.warnings.push(...r.warnings);
    for (const [id, notes] of r.ingressNotes) out.ingressNotes.set(id, [...(out.ingressNotes.get(id) ?? []), ...notes]);
    if (r.gatewayApi) out.gatewayApi = { objects: [...(out.gatewayApi?.objects ?? []), ...r.gatewayApi.objects] };
  }
  return out;
}
