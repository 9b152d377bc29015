/**
 * The dashboard at scale: 50 nodes (fake-nodes.ts) and 1,000 routes (100
 * Ingresses of 10 paths, each to a Service of its own) over a real
 * nats-server and a real config service. Measures the page's size (its
 * HTML, scripts, styles and first state) and the config service's CPU
 * while the nodes send heartbeats and traffic summaries: without the
 * dashboard, with it and no page open, and with a page open in Chromium.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, request, spawnMeshgate, startNatsServer, type Proc } from '@meshgate/testing';
import { openBrowser } from '../../dashboard/browser.ts';
import { cpuMs } from '../control-plane/machine.ts';
import { startFakeNodes } from './fake-nodes.ts';

export interface ScaleResult {
  nodes: number; routes: number; routesPerNode: number; seconds: number;
  page: { html: number; scripts: number; styles: number; state: number; total: number };
  /** SSE bytes a second to one open page. */
  streamBytesPerSecond: number;
  /** Config service CPU, % of one core. */
  cpu: { off: number; noPage: number; page: number };
}

function manifests(dir: string, ingresses: number, paths: number): { ingress: string; service: string }[] {
  const routes: { ingress: string; service: string }[] = [];
  const docs: string[] = [];
  for (let i = 0; i < ingresses; i++) {
    const rules: string[] = [];
    for (let p = 0; p < paths; p++) {
      const svc = `svc-${i}-${p}`;
      routes.push({ ingress: `default/ing-${i}`, service: svc });
      rules.push(`      - { path: /app-${i}/p-${p}, pathType: Prefix, backend: { service: { name: ${svc}, port: { number: 80 } } } }`);
      docs.push(`apiVersion: v1\nkind: Service\nmetadata: { name: ${svc} }\nspec: { ports: [{ name: http, port: 80 }] }\n---\napiVersion: v1\nkind: Endpoints\nmetadata: { name: ${svc} }\nsubsets: [{ addresses: [{ ip: 10.1.${i}.${p + 1} }], ports: [{ name: http, port: 8080 }] }]\n`);
    }
    docs.push(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: ing-${i} }\nspec:\n  rules:\n  - http:\n      paths:\n${rules.join('\n')}\n`);
  }
  fs.writeFileSync(path.join(dir, 'mesh.yaml'), docs.join('---\n'));
  return routes;
}

/** Config service CPU over `seconds`, % of one core. */
async function cpuOver(p: Proc, seconds: number): Promise<number> {
  const c0 = cpuMs([p.pid]);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return (100 * (cpuMs([p.pid]) - c0)) / (performance.now() - t0);
}

async function configService(nats: string, dir: string, dashboard?: number): Promise<Proc> {
  const p = spawnMeshgate(['config-service', '--nats', nats, '--manifests', dir, '--log-level', 'info', ...(dashboard ? ['--dashboard', `127.0.0.1:${dashboard}`] : [])]);
  await p.waitFor('config service started', 60_000);
  return p;
}

export async function measureScale(o: { nodes: number; routesPerNode: number; seconds: number }): Promise<ScaleResult> {
  const nats = await startNatsServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-dash-bench-'));
  const routes = manifests(dir, 100, 10);
  const fakes = await startFakeNodes({ nats: nats.url, nodes: o.nodes, routes, routesPerNode: o.routesPerNode, endpoints: routes.map((_, k) => `10.1.${Math.floor(k / 10)}.${(k % 10) + 1}:8080`) });
  const warm = 10_000;
  try {
    let cs = await configService(nats.url, dir);
    await new Promise((r) => setTimeout(r, warm));
    const off = await cpuOver(cs, o.seconds);
    await cs.stop();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}/`;
    cs = await configService(nats.url, dir, port);
    try {
      for (let i = 0; i < 300 && (await request(`${base}healthz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, warm));
      const noPage = await cpuOver(cs, o.seconds);
      const size = async (p: string) => Buffer.byteLength((await request(`${base}${p}`)).body);
      const scripts = (await size('app.js')) + (await size('dom.js')) + (await size('charts.js'));
      const page = { html: await size(''), scripts, styles: await size('app.css'), state: await size('api/state'), total: 0 };
      page.total = page.html + page.scripts + page.styles + page.state;
      const browser = await openBrowser();
      try {
        await browser.page.goto(base);
        await browser.page.locator('[data-node="node-01"]').waitFor({ timeout: 30_000 });
        const stream = countStream(`${base}api/events`);
        await new Promise((r) => setTimeout(r, 3_000));
        const s0 = stream.bytes();
        const t0 = performance.now();
        const withPage = await cpuOver(cs, o.seconds);
        // Two pages are open meanwhile: Chromium's, and this byte counter.
        const streamBytesPerSecond = ((stream.bytes() - s0) * 1000) / (performance.now() - t0);
        stream.close();
        return { nodes: o.nodes, routes: routes.length, routesPerNode: o.routesPerNode, seconds: o.seconds, page, streamBytesPerSecond, cpu: { off, noPage, page: withPage } };
      } finally {
        await browser.close();
      }
    } finally {
      await cs.stop();
    }
  } finally {
    await fakes.close();
    await nats.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An SSE reader that only counts bytes. */
function countStream(url: string): { bytes(): number; close(): void } {
  let n = 0;
  const req = http.get(url, (res) => res.on('data', (c: Buffer) => { n += c.length; }));
  req.on('error', () => {});
  return { bytes: () => n, close: () => req.destroy() };
}
