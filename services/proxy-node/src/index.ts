export { startProxyNode, type ProxyNode, type ProxyNodeOptions } from './proxy-node.ts';
export type { ListenAddress, DataPlaneLimits } from './worker/messages.ts';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.ts';
export { parseCidrs, realClientAddress } from './worker/forwarded.ts';
export { TlsProfiles, type TlsProfile } from './worker/tls-profile.ts';
export { LimitTable } from './limit-table.ts';
export { LimitExchange, type LimitExchangeOptions } from './limit-exchange.ts';
