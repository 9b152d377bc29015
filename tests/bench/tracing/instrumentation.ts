/**
 * The request-path telemetry alone, without sockets: CPU per request of the
 * five diagnostics_channel events of a proxied request (start, routed,
 * upstream start and end, end), as the data plane publishes them, with
 * tracing off, at 1% and at 100%. Spans are exported to an OTLP sink in a
 * child process (the export's sending side counts, its receiving side not).
 * A quick, quiet check of what libs/telemetry costs per request; the
 * end-to-end cost is run.ts.
 *
 *   node tests/bench/tracing/instrumentation.ts            # 200,000 requests x 5 rounds per setting
 *   N=50000 ROUNDS=3 node tests/bench/tracing/instrumentation.ts
 */
import { spawn } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import net from 'node:net';
import path from 'node:path';
import { CHANNELS, instrumentProxy, startTracing, type RequestInfo } from '@meshgate/telemetry';

const N = Number(process.env.N ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SINK = Number(process.env.SINK_PORT ?? 19499);

const sink = spawn(process.execPath, [path.join(import.meta.dirname, 'otlp-sink.ts')], { env: { ...process.env, SINK_PORT: String(SINK) }, stdio: 'ignore' });
for (let i = 0; ; i++) {
  const up = await new Promise<boolean>((r) => { const s = net.connect(SINK, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
  if (up) break;
  if (i > 100) throw new Error(`otlp sink: port ${SINK} not listening`);
  await new Promise((r) => setTimeout(r, 100));
}

const ch = Object.fromEntries(Object.entries(CHANNELS).map(([k, v]) => [k, dc.channel(v)]));
const rule = {};
const endpoint = { id: '127.0.0.1:19401', address: '127.0.0.1', port: 19401 };
const headers = { host: '127.0.0.1:19410', 'user-agent': 'wrk' };
function request(i: number): void {
  const ctx: RequestInfo = {
    method: 'GET', host: '127.0.0.1:19410', target: '/users/1', path: '/users/1', headers, remoteAddress: '127.0.0.1', scheme: 'http',
    httpVersion: '1.1', node: 'bench', worker: 0, requestId: `f47ac10b-58cc-4372-a567-0e02b2c3d4${String(i % 100).padStart(2, '0')}`,
    startTime: performance.now(), store: {},
  };
  ch.requestStart!.publish({ ctx });
  ch.requestRouted!.publish({ ctx, host: '', path: '/users/', pathType: 'Prefix', ingress: 'default/app', backend: 'default/users:80', rule });
  const h: Record<string, string> = {};
  ch.upstreamStart!.publish({ ctx, attempt: 1, endpoint, headers: h });
  ch.upstreamEnd!.publish({ ctx, attempt: 1, endpoint, statusCode: 200, retried: false });
  ch.requestEnd!.publish({ ctx, statusCode: 200, bytesOut: 100 });
}

const results: Record<string, number[]> = {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const setting of ['off', '1%', '100%']) {
      const tracing = setting === 'off' ? undefined : startTracing({
        serviceName: 'meshgate-proxy', instanceId: 'bench',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${SINK}`, OTEL_TRACES_SAMPLER_ARG: setting === '1%' ? '0.01' : '1' },
      });
      const instr = instrumentProxy({ tracing, node: 'bench', worker: 0 });
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        request(i);
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // let exports go out, as between requests
      }
      await tracing?.forceFlush();
      const cpu = process.cpuUsage(c0);
      (results[setting] ??= []).push((cpu.user + cpu.system) / N);
      instr.close();
      await tracing?.shutdown();
    }
  }
} finally {
  sink.kill();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const off = median(results.off!);
for (const [setting, xs] of Object.entries(results)) {
  console.log(`${setting.padEnd(4)} ${median(xs).toFixed(2)} µs CPU per request (median of ${xs.length})${setting === 'off' ? '' : `, tracing adds ${(median(xs) - off).toFixed(2)} µs`}`);
}
