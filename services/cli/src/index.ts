export { main } from './main.ts';
export { parseFlags, parseHostPort, UsageError, type FlagSpecs } from './flags.ts';
export { dataPlaneLimitsFromEnv } from './commands/proxy.ts';
