export { startHealthAgent, type HealthAgent, type HealthAgentOptions, type NodeView } from './health-agent.ts';
export { probeHttp, type ProbeTarget, type ProbeResult } from './probe.ts';
