/**
 * How soon the dashboard, open in Chromium, shows what happened in a real
 * mesh (tests/dashboard/mesh.ts, the health agent at its shipped interval
 * and thresholds): a backend killed (SIGKILL) turning unhealthy, and a
 * manifest written showing as the new version. Times are taken in the page
 * (Date.now() when its DOM shows it; one machine, one clock) and split at
 * the agent's verdict (`since`) and the config service's publish.
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from '@meshgate/testing';
import { openBrowser } from '../../dashboard/browser.ts';
import { startDashboardMesh } from '../../dashboard/mesh.ts';

declare const document: { querySelector(s: string): { dataset: Record<string, string> } | null; getElementById(id: string): { dataset: Record<string, string> } | null };

export interface LatencyResult {
  /** kill -> page shows it unhealthy; kill -> the agent's verdict; verdict -> page. */
  failure: { total: number; agent: number; page: number }[];
  /** file written -> page shows the version; written -> published; published -> page. */
  change: { total: number; publish: number; page: number }[];
}

export async function measureLatency(rounds: number, screenshot: string): Promise<LatencyResult> {
  const mesh = await startDashboardMesh({ agentArgs: ['--interval', '300'] });
  const browser = await openBrowser();
  const out: LatencyResult = { failure: [], change: [] };
  try {
    mesh.load(30);
    const page = browser.page;
    await page.goto(mesh.dashboard);
    const endpoint = `[data-endpoint="127.0.0.1:${mesh.m.productsPort}"]`;
    await page.locator(`${endpoint}[data-health="healthy"]`).waitFor({ timeout: 30_000 });
    const state = async () => JSON.parse((await request(`${mesh.dashboard}api/state`)).body) as { health: { endpoints: Record<string, { since: number }> }; changes: { version: number; at: number }[] };
    for (let i = 0; i < rounds; i++) {
      const killed = Date.now();
      await mesh.killProducts();
      const shown = await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.health === 'unhealthy' && Date.now(), `${endpoint}`, { timeout: 30_000, polling: 'raf' });
      const at = Number(await shown.jsonValue());
      const verdict = (await state()).health.endpoints[`127.0.0.1:${mesh.m.productsPort}`]!.since;
      out.failure.push({ total: at - killed, agent: verdict - killed, page: at - verdict });
      await mesh.startProducts();
      await page.locator(`${endpoint}[data-health="healthy"]`).waitFor({ timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 500));
    }
    for (let i = 0; i < rounds; i++) {
      const before = Number((await page.locator('#version').getAttribute('data-version')) ?? 0);
      const written = Date.now();
      fs.writeFileSync(path.join(mesh.m.manifests, `bench-${i}.yaml`), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench-${i} }
spec:
  rules:
  - http: { paths: [{ path: /bench-${i}, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }] }
`);
      const shown = await page.waitForFunction((v) => Number(document.getElementById('version')?.dataset.version) > v && Date.now(), before, { timeout: 30_000, polling: 'raf' });
      const at = Number(await shown.jsonValue());
      const version = Number(await page.locator('#version').getAttribute('data-version'));
      const published = (await state()).changes.find((c) => c.version === version)?.at ?? NaN;
      out.change.push({ total: at - written, publish: published - written, page: at - published });
      await new Promise((r) => setTimeout(r, 700));
    }
    // The README's picture: this mesh after the runs (traffic, changes, a broken file).
    fs.writeFileSync(path.join(mesh.m.manifests, 'broken.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: [oops\n');
    await page.locator('[data-unparsable$="broken.yaml"]').first().waitFor({ timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 2_500));
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
    await mesh.stop();
  }
  return out;
}
