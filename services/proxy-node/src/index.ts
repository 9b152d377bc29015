export { startProxyNode, type ProxyNode, type ProxyNodeOptions } from './proxy-node.ts';
export type { ListenAddress } from './worker/messages.ts';
