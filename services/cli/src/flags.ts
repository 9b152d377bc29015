/**
 * Flag parsing for every command. Each flag also reads MESHGATE_<NAME> from
 * the environment (upper snake case); the command line wins. Unknown flags
 * and bad values throw UsageError, which main() prints as one line and exits 2.
 */
export class UsageError extends Error {
  readonly code = 'MESHGATE_USAGE';
}

export type FlagType = 'string' | 'int' | 'hostport' | 'bool' | 'level' | 'duration' | 'size';

export interface FlagSpec {
  readonly type: FlagType;
  readonly help: string;
  readonly default?: string;
  /** For int: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  readonly short?: string;
  /**
   * Environment variable names, when not MESHGATE_<NAME> (e.g. --nats reads
   * MESHGATE_NATS_URL). For a duration, a bare number in a variable whose
   * name ends in _MS is milliseconds.
   */
  readonly env?: readonly string[];
  /** For string: the only values allowed. */
  readonly choices?: readonly string[];
  /** For string: undefined when `raw` is good, else what to write instead (the usage error says "expects <that>"). */
  readonly validate?: (raw: string) => string | undefined;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface HostPort { host: string; port: number }

export type FlagValue = string | number | boolean | HostPort;

export interface Parsed {
  flags: Record<string, FlagValue | undefined>;
  positionals: string[];
}

export function envName(flag: string): string {
  return 'MESHGATE_' + flag.replace(/-/g, '_').toUpperCase();
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'];

/** nginx-style duration in ms: '500ms', '60s', '5m', '1h'; a bare number is seconds (as ingress-nginx's timeouts). */
export function parseDurationMs(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) return undefined;
  const unit = m[2] ?? 's';
  return Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000));
}

/** nginx-style size in bytes: '16384', '16k', '1m', '1g' (binary units, case-insensitive). */
export function parseSize(raw: string): number | undefined {
  const m = /^(\d+)([kKmMgG])?$/.exec(raw.trim());
  if (!m) return undefined;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  return Number(m[1]) * mult;
}

export function parseHostPort(raw: string, defaultHost = '0.0.0.0'): HostPort | undefined {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(raw.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  let host = m[1] ?? '';
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host: host || defaultHost, port };
}

function convert(cmd: string, name: string, spec: FlagSpec, raw: string, from: string): FlagValue {
  const bad = (want: string) => new UsageError(`meshgate ${cmd}: ${from} expects ${want}, got '${raw}'`);
  switch (spec.type) {
    case 'string': {
      if (raw === '') throw bad('a value');
      if (spec.choices !== undefined && !spec.choices.includes(raw)) throw bad(spec.choices.join('|'));
      const want = spec.validate?.(raw);
      if (want !== undefined) throw bad(want);
      return raw;
    }
    case 'duration': {
      const ms = from.endsWith('_MS') && /^\d+$/.test(raw) ? Number(raw) : parseDurationMs(raw);
      if (ms === undefined) throw bad('a duration such as 60s, 5m, 500ms or 0 (a bare number is seconds)');
      return ms;
    }
    case 'size': {
      const n = parseSize(raw);
      if (n === undefined) throw bad('a size such as 16k, 1m or 16384 (bytes)');
      if (spec.min !== undefined && n < spec.min) throw bad(`a size >= ${spec.min} bytes`);
      if (spec.max !== undefined && n > spec.max) throw bad(`a size <= ${spec.max} bytes`);
      return n;
    }
    case 'int': {
      if (!/^\d+$/.test(raw)) throw bad('a whole number');
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) throw bad(`a number >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`a number <= ${spec.max}`);
      return n;
    }
    case 'hostport': {
      const hp = parseHostPort(raw);
      if (!hp) throw bad('HOST:PORT or PORT (port 0-65535)');
      return hp;
    }
    case 'bool':
      if (['', 'true', '1', 'yes', 'on'].includes(raw)) return true;
      if (['false', '0', 'no', 'off'].includes(raw)) return false;
      throw bad('true or false (or on/off)');
    case 'level':
      if (!LEVELS.includes(raw)) throw bad(LEVELS.join('|'));
      return raw;
  }
  void name;
}

export function parseFlags(cmd: string, specs: FlagSpecs, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const flags: Record<string, FlagValue | undefined> = {};
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positionals.push(arg); continue; }
    let name: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      value = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const long = shorts.get(arg.slice(1, 2));
      if (!long) throw new UsageError(`meshgate ${cmd}: unknown flag ${arg} (see meshgate ${cmd} --help)`);
      name = long;
      value = arg.length > 2 ? arg.slice(2) : undefined;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`meshgate ${cmd}: unknown flag --${name} (see meshgate ${cmd} --help)`);
    if (value === undefined && spec.type !== 'bool') {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--'))) throw new UsageError(`meshgate ${cmd}: --${name} needs a value`);
      value = next;
      i++;
    }
    flags[name] = convert(cmd, name, spec, value ?? '', `--${name}`);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] !== undefined) continue;
    const envVar = (spec.env ?? [envName(name)]).find((v) => env[v] !== undefined && env[v] !== '');
    if (envVar) flags[name] = convert(cmd, name, spec, env[envVar]!, envVar);
    else if (spec.default !== undefined) flags[name] = convert(cmd, name, spec, spec.default, `--${name}`);
  }
  return { flags, positionals };
}

export function usage(cmd: string, synopsis: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([n, s]) => {
    const left = `  ${s.short ? `-${s.short}, ` : ''}--${n}${s.type === 'bool' ? '' : ` ${s.type === 'hostport' ? 'HOST:PORT' : s.type === 'int' ? 'N' : s.type === 'duration' ? 'DURATION' : s.type === 'size' ? 'SIZE' : s.choices ? s.choices.join('|') : 'VALUE'}`}`;
    return `${left.padEnd(30)} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''} [${(s.env ?? [envName(n)]).join(', ')}]`;
  });
  return `usage: meshgate ${cmd} ${synopsis}\n\n${rows.join('\n')}\n`;
}
