/**
 * A small structured logger: one JSON object per line on stderr, so stdout
 * stays free for access logs (JSON lines, see access-log.ts) and CLI output.
 */
export const LogLevels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LogLevels;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function isLogLevel(s: string): s is LogLevel {
  return Object.hasOwn(LogLevels, s);
}

export function createLogger(service: string, opts: { level?: LogLevel; fields?: Record<string, unknown>; write?: (line: string) => void } = {}): Logger {
  const min = LogLevels[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => { process.stderr.write(line); });
  const base = { service, ...opts.fields };
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LogLevels[level] < min) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level, ...base, msg, ...fields };
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = v.message;
    write(JSON.stringify(rec) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(service, { ...opts, fields: { ...opts.fields, ...fields } }),
  };
}
