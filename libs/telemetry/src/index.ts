export { createLogger, isLogLevel, LogLevels, type Logger, type LogLevel } from './logger.ts';
