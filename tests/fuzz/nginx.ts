/**
 * Debian's nginx as the reference proxy: one process (no master, no daemon),
 * everything it writes in a temp dir, one `server` per lane (by Host, as
 * meshgate's Ingress rules) proxying to that lane's recording backend over
 * kept-alive HTTP/1.1, and a default server for any other Host (meshgate's
 * defaultBackend). Settings mirror meshgate's defaults where nginx has one:
 * 16 KB header buffers (meshgate refuses heads over 16 KB), no body size
 * limit, the original Host upstream. Everything else is Debian's default, on
 * purpose: the differences are what the fuzzer is for.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitForPort } from '@meshgate/testing';

export const NGINX_BIN = process.env.MESHGATE_FUZZ_NGINX ?? '/usr/sbin/nginx';

export function laneHost(lane: number): string { return `lane${lane}.fuzz`; }

export function nginxConfig(dir: string, listen: number, backendPort: (lane: number) => number, lanes: number, logLevel = 'error'): string {
  const servers: string[] = [];
  const upstreams: string[] = [];
  for (let lane = -1; lane < lanes; lane++) {
    const name = lane < 0 ? 'stray' : `lane${lane}`;
    upstreams.push(`  upstream ${name} { server 127.0.0.1:${backendPort(lane)}; keepalive 16; }`);
    servers.push(`  server {
    listen 127.0.0.1:${listen}${lane < 0 ? ' default_server' : ''};
    server_name ${lane < 0 ? '_' : laneHost(lane)};
    location / { proxy_pass http://${name}; }
  }`);
  }
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log ${logLevel};
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_header_buffer_size 1k;
  large_client_header_buffers 4 16k;
  client_max_body_size 0;
  keepalive_requests 100000;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  proxy_read_timeout 30s;
${upstreams.join('\n')}
${servers.join('\n')}
}
`;
}

export interface Nginx {
  port: number;
  pid: number;
  dir: string;
  /** The tail of nginx's error log (at level info it names why it refused a request). */
  errorLog(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startNginx(dir: string, listen: number, backendPort: (lane: number) => number, lanes: number, logLevel = 'error'): Promise<Nginx> {
  if (!fs.existsSync(NGINX_BIN)) throw new Error(`${NGINX_BIN} not found: apt-get install nginx-light (or set MESHGATE_FUZZ_NGINX)`);
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConfig(dir, listen, backendPort, lanes, logLevel));
  const check = spawnSync(NGINX_BIN, ['-t', '-q', '-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused ${conf}: ${check.stderr}`);
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitForPort(listen, '127.0.0.1', 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`nginx did not listen on ${listen}: ${(err as Error).message}\n${stderr}`);
  }
  return {
    port: listen,
    pid: child.pid!,
    dir,
    errorLog: () => { try { const t = fs.readFileSync(path.join(dir, 'error.log'), 'utf8'); return t.slice(-4000); } catch { return ''; } },
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
