export { createLogger, isLogLevel, LogLevels, type Logger, type LogLevel } from './logger.ts';
export { startWorkerTelemetry, type WorkerTelemetry, type WorkerTelemetryOptions } from './worker-telemetry.ts';
