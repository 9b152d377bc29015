export { startConfigService, type ConfigService, type ConfigServiceOptions } from './config-service.ts';
export type { ConfigStatus } from './config-actor.ts';
export { renderConfigMetrics } from './config-metrics.ts';
