import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler,
} from '@opentelemetry/sdk-trace';

/**
 * The sampler from the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
 * variables (the SDK packages we use do not read them themselves). Default:
 * parent-based ratio, ratio from OTEL_TRACES_SAMPLER_ARG or 1.0: a client that
 * sent a sampled traceparent is always continued; a new trace is sampled at
 * the ratio.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_traceidratio').trim().toLowerCase();
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = (): number => {
    if (arg === undefined || arg.trim() === '') return 1;
    const r = Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got '${arg}'`);
    return r;
  };
  switch (name) {
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new Error(`OTEL_TRACES_SAMPLER '${env.OTEL_TRACES_SAMPLER}' is not supported: use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio`);
  }
}

/**
 * The same choice as samplerFromEnv, as data the request path decides on
 * itself, without a Sampler call (and its context and attribute objects) per
 * request: `parentBased` follows the client's sampled flag when it sent a
 * valid traceparent; otherwise a trace is sampled at `ratio`.
 */
export interface SamplingPlan { readonly parentBased: boolean; readonly ratio: number }

export function samplingPlanFromEnv(env: NodeJS.ProcessEnv = process.env): SamplingPlan {
  samplerFromEnv(env); // same validation, same errors
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_traceidratio').trim().toLowerCase();
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = arg === undefined || arg.trim() === '' ? 1 : Number(arg);
  switch (name) {
    case 'always_on': return { parentBased: false, ratio: 1 };
    case 'always_off': return { parentBased: false, ratio: 0 };
    case 'traceidratio': return { parentBased: false, ratio };
    case 'parentbased_always_on': return { parentBased: true, ratio: 1 };
    case 'parentbased_always_off': return { parentBased: true, ratio: 0 };
    default: return { parentBased: true, ratio };
  }
}

/**
 * TraceIdRatioBased's decision for a given trace id (the SDK's algorithm, so
 * every service sampling the same trace at the same ratio agrees).
 */
export function traceIdSampled(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  let acc = 0;
  for (let i = 0; i < traceId.length; i += 8) acc = (acc ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return acc < Math.floor(ratio * 0xffffffff);
}
