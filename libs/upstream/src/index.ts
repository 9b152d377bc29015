export { EndpointSet, Liveness, type Endpoint } from './endpoint-set.ts';
export { UpstreamPools, defaultPoolOptions, type PoolOptions } from './upstream-pools.ts';
