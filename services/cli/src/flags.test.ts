import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, parseHostPort, UsageError, type FlagSpecs } from './flags.ts';

const specs: FlagSpecs = {
  nats: { type: 'string', help: 'NATS URL' },
  http: { type: 'hostport', help: 'HTTP listener', default: '8080' },
  workers: { type: 'int', help: 'workers', min: 1, max: 256 },
  output: { type: 'string', help: 'format', short: 'o' },
  wait: { type: 'bool', help: 'wait' },
};

test('flags, =values, short flags, positionals and defaults', () => {
  const p = parseFlags('x', specs, ['get', '--nats', 'nats://a:1', '--workers=3', '-o', 'json', '--wait'], {});
  assert.deepEqual(p.positionals, ['get']);
  assert.equal(p.flags.nats, 'nats://a:1');
  assert.equal(p.flags.workers, 3);
  assert.equal(p.flags.output, 'json');
  assert.equal(p.flags.wait, true);
  assert.deepEqual(p.flags.http, { host: '0.0.0.0', port: 8080 });
});

test('every flag reads MESHGATE_<NAME>; the command line wins', () => {
  const env = { MESHGATE_NATS: 'nats://env:4222', MESHGATE_WORKERS: '2', MESHGATE_HTTP: '127.0.0.1:9000' };
  const p = parseFlags('x', specs, ['--workers', '5'], env);
  assert.equal(p.flags.nats, 'nats://env:4222');
  assert.equal(p.flags.workers, 5);
  assert.deepEqual(p.flags.http, { host: '127.0.0.1', port: 9000 });
});

test('unknown flags and bad values are one-line usage errors naming the flag', () => {
  assert.throws(() => parseFlags('proxy', specs, ['--bogus'], {}), (e: Error) => e instanceof UsageError && e.message === 'meshgate proxy: unknown flag --bogus (see meshgate proxy --help)');
  assert.throws(() => parseFlags('proxy', specs, ['--workers', 'many'], {}), /--workers expects a whole number, got 'many'/);
  assert.throws(() => parseFlags('proxy', specs, ['--workers', '0'], {}), /--workers expects a number >= 1/);
  assert.throws(() => parseFlags('proxy', specs, ['--http', 'localhost:99999'], {}), /--http expects HOST:PORT or PORT/);
  assert.throws(() => parseFlags('proxy', specs, ['--nats'], {}), /--nats needs a value/);
  assert.throws(() => parseFlags('proxy', specs, [], { MESHGATE_WORKERS: 'x' }), /MESHGATE_WORKERS expects a whole number/);
});

test('HOST:PORT accepts PORT alone, names and IPv6', () => {
  assert.deepEqual(parseHostPort('8080'), { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(parseHostPort('localhost:80'), { host: 'localhost', port: 80 });
  assert.deepEqual(parseHostPort('[::1]:8443'), { host: '::1', port: 8443 });
  assert.equal(parseHostPort('a:b'), undefined);
});

test('choices, validated strings and durations: a bad value names the flag or its variable', () => {
  const more: FlagSpecs = {
    strictness: { type: 'string', help: 'x', choices: ['strict', 'relaxed'], default: 'strict' },
    cidrs: { type: 'string', help: 'x', validate: (raw) => (raw.includes('/') ? undefined : 'CIDR,... (10.0.0.0/8)') },
    idle: { type: 'duration', help: 'x', default: '60s' },
  };
  const p = parseFlags('proxy', more, ['--strictness', 'relaxed', '--cidrs', '10.0.0.0/8', '--idle', '1500ms'], {});
  assert.equal(p.flags.strictness, 'relaxed');
  assert.equal(p.flags.cidrs, '10.0.0.0/8');
  assert.equal(p.flags.idle, 1500);
  assert.equal(parseFlags('proxy', more, [], {}).flags.idle, 60_000);
  assert.equal(parseFlags('proxy', more, [], { MESHGATE_IDLE: '2m' }).flags.idle, 120_000);
  assert.equal(parseFlags('proxy', more, ['--idle', '90'], {}).flags.idle, 90_000, 'a bare number is seconds');
  assert.equal(parseFlags('proxy', more, ['--idle', '0'], {}).flags.idle, 0);
  assert.throws(() => parseFlags('proxy', more, ['--strictness', 'loose'], {}), (e: Error) => e instanceof UsageError && /--strictness expects strict\|relaxed, got 'loose'/.test(e.message));
  assert.throws(() => parseFlags('proxy', more, ['--cidrs', '10.0.0.1'], {}), /--cidrs expects CIDR,\.\.\. \(10\.0\.0\.0\/8\), got '10\.0\.0\.1'/);
  assert.throws(() => parseFlags('proxy', more, ['--idle', 'soon'], {}), /--idle expects a duration/);
  assert.throws(() => parseFlags('proxy', more, [], { MESHGATE_STRICTNESS: 'x' }), /MESHGATE_STRICTNESS expects strict\|relaxed/);
});

test('sizes, on/off switches, and durations from a _MS variable', () => {
  const specs: FlagSpecs = {
    'max-header-size': { type: 'size', help: 'x', default: '16k', min: 1024 },
    'access-log': { type: 'bool', help: 'x', default: 'true' },
    'header-timeout': { type: 'duration', help: 'x', default: '30s', env: ['MESHGATE_HEADER_TIMEOUT', 'MESHGATE_HEADER_TIMEOUT_MS'] },
  };
  const d = parseFlags('proxy', specs, [], {}).flags;
  assert.deepEqual([d['max-header-size'], d['access-log'], d['header-timeout']], [16_384, true, 30_000]);
  assert.equal(parseFlags('proxy', specs, ['--max-header-size', '32k'], {}).flags['max-header-size'], 32_768);
  assert.equal(parseFlags('proxy', specs, [], { MESHGATE_MAX_HEADER_SIZE: '8192' }).flags['max-header-size'], 8_192);
  assert.equal(parseFlags('proxy', specs, ['--access-log=off'], {}).flags['access-log'], false);
  assert.equal(parseFlags('proxy', specs, [], { MESHGATE_ACCESS_LOG: 'off' }).flags['access-log'], false);
  assert.equal(parseFlags('proxy', specs, [], { MESHGATE_HEADER_TIMEOUT_MS: '600' }).flags['header-timeout'], 600, 'milliseconds in a _MS variable');
  assert.equal(parseFlags('proxy', specs, [], { MESHGATE_HEADER_TIMEOUT: '2' }).flags['header-timeout'], 2_000, 'seconds elsewhere');
  assert.throws(() => parseFlags('proxy', specs, ['--max-header-size', '512'], {}), /--max-header-size expects a size >= 1024 bytes/);
  assert.throws(() => parseFlags('proxy', specs, ['--max-header-size', '16q'], {}), /--max-header-size expects a size such as 16k/);
});
