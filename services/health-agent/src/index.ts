export { startHealthAgent, HEALTH_DEFAULTS, FULL_VIEW_PART, type HealthAgent, type HealthAgentOptions, type NodeView } from './health-agent.ts';
export { probe, type ProbeTarget, type ProbeResult } from './probe.ts';
export { checkSpecOf, parseStatusRanges, describeCheck, HEALTH_CHECK_ANNOTATION, HEALTH_STATUS_ANNOTATION, type CheckSpec } from './check-spec.ts';
export { ProbeScheduler, type ProbeSchedulerOptions, type SchedulerStats } from './probe-scheduler.ts';
export { NodeMembership, type NodeMembershipOptions } from './node-membership.ts';
export { renderAgentMetrics } from './agent-metrics.ts';
