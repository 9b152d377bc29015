// The Gateway API front end of a build, and a build with it.
import { buildMeshConfig, type BuildOptions, type FrontEnd, type MeshConfig, type ObjectHeader, type SourceFile } from '@meshgate/ingress';
import { buildGatewayApi } from './build.ts';
import { KINDS } from './types.ts';
import { validateObject } from './validate.ts';

/**
 * One per config service (like a BuildCache): it counts spec changes of
 * objects whose manifest has no metadata.generation, so observedGeneration
 * follows the object as the API server's generation would.
 */
export function gatewayApiFrontEnd(): FrontEnd {
  const generations = new Map<string, { spec: string; generation: number }>();
  const generationOf = (h: ObjectHeader): number => {
    if (h.generation !== undefined) return h.generation;
    const key = `${h.kind}/${h.namespace ?? ''}/${h.name}`;
    const spec = JSON.stringify(h.raw.data.spec ?? null);
    const was = generations.get(key);
    const generation = !was ? 1 : was.spec === spec ? was.generation : was.generation + 1;
    generations.set(key, { spec, generation });
    return generation;
  };
  return {
    kinds: KINDS,
    clusterScoped: ['GatewayClass', 'Namespace'],
    observes: { Namespace: ['v1'], ConfigMap: ['v1'] },
    validate: validateObject,
    build: (input) => buildGatewayApi(input, generationOf),
  };
}

/** buildMeshConfig with the Gateway API kinds: what the config service and `meshgate lint` build. */
export function buildMeshConfigWithGatewayApi(files: SourceFile[], opts: BuildOptions = {}, frontEnd: FrontEnd = gatewayApiFrontEnd()): MeshConfig {
  return buildMeshConfig(files, { ...opts, frontEnds: [...(opts.frontEnds ?? []), frontEnd] });
}
