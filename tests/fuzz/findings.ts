/**
 * Findings of a run: counted by class and signature, the first few of each
 * signature saved for replay (`npm run fuzz -- --replay FILE`): a JSON file
 * with the case's writes and what each proxy did, and a .bin with the raw
 * bytes (for nc).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Step } from './exchange.ts';
import type { FuzzCase } from './grammar.ts';
import type { Finding, FindingClass } from './compare.ts';
import { knownItem } from './known-findings.ts';

export interface SavedCase {
  seed: number;
  id: number;
  lane: number;
  kind: string;
  features: string[];
  requests: FuzzCase['requests'];
  steps: ({ base64: string } | { pauseMs: number })[];
  findings?: Finding[];
  /** Anything else worth keeping (what each proxy answered, the backend saw). */
  notes?: unknown;
}

export function stepsToJson(steps: readonly Step[]): SavedCase['steps'] {
  return steps.map((s) => (Buffer.isBuffer(s) ? { base64: s.toString('base64') } : { pauseMs: s.pauseMs }));
}

export function stepsFromJson(steps: SavedCase['steps']): Step[] {
  return steps.map((s) => ('base64' in s ? Buffer.from(s.base64, 'base64') : { pauseMs: s.pauseMs }));
}

export function loadCase(file: string): SavedCase {
  const raw = fs.readFileSync(file);
  if (file.endsWith('.json')) return JSON.parse(raw.toString('utf8')) as SavedCase;
  const tags = [...raw.toString('latin1').matchAll(/x-fuzz-tag: *(fz\.\d+\.\d+\.r\d+)/gi)].map((m) => m[1]);
  const lane = Number(/^fz\.(\d+)\./.exec(tags[0] ?? '')?.[1] ?? 0);
  const id = Number(/^fz\.\d+\.(\d+)\./.exec(tags[0] ?? '')?.[1] ?? 0);
  const methods = [...raw.toString('latin1').matchAll(/(?:^|\r?\n\r?\n)([A-Z]+) /g)].map((m) => m[1]);
  return { seed: 0, id, lane, kind: 'raw', features: [], requests: tags.map((tag, i) => ({ tag, method: methods[i] ?? 'GET', features: [] })), steps: [{ base64: raw.toString('base64') }] };
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9.,+=-]+/g, '_').slice(0, 120);

interface Entry { cls: FindingClass; proxy?: string; count: number; example?: string; detail: string; known?: string }

export class FindingStore {
  readonly bySignature = new Map<string, Entry>();
  readonly byClass = new Map<FindingClass, number>();
  #dir: string | undefined;
  #perSignature: number;

  constructor(dir: string | undefined, perSignature = 2) {
    this.#dir = dir;
    this.#perSignature = perSignature;
    if (dir) fs.mkdirSync(dir, { recursive: true });
  }

  /** Records the findings of one case; saves the case under the first few of each signature. */
  add(findings: Finding[], c: FuzzCase, seed: number, notes?: unknown): void {
    const seen = new Set<string>();
    for (const f of findings) {
      this.byClass.set(f.cls, (this.byClass.get(f.cls) ?? 0) + 1);
      let e = this.bySignature.get(f.signature);
      if (!e) {
        const known = knownItem(f);
        this.bySignature.set(f.signature, e = { cls: f.cls, count: 0, detail: f.detail, ...(f.proxy ? { proxy: f.proxy } : {}), ...(known ? { known } : {}) });
      }
      e.count++;
      if (this.#dir && e.count <= this.#perSignature && !seen.has(f.signature)) {
        seen.add(f.signature);
        const dir = path.join(this.#dir, f.cls);
        fs.mkdirSync(dir, { recursive: true });
        const base = path.join(dir, `${slug(f.signature)}.${c.id}`);
        const saved: SavedCase = { seed, id: c.id, lane: c.lane, kind: c.kind, features: c.features, requests: c.requests.slice(0, 200), steps: stepsToJson(c.steps), findings: findings.slice(0, 50), notes };
        fs.writeFileSync(`${base}.json`, JSON.stringify(saved, null, 1));
        fs.writeFileSync(`${base}.bin`, Buffer.concat(c.steps.filter((s): s is Buffer => Buffer.isBuffer(s))));
        e.example ??= `${base}.json`;
      }
    }
  }

  /** meshgate's findings of these classes that no known item explains (nginx's are reported, not judged). */
  unexplained(classes: readonly FindingClass[]): [string, Entry][] {
    return [...this.bySignature].filter(([, e]) => classes.includes(e.cls) && e.proxy === 'meshgate' && !e.known);
  }

  count(cls: FindingClass): number { return this.byClass.get(cls) ?? 0; }

  /** Every signature with its count, class, known item and example, as JSON in the findings dir (summary.json). */
  writeSummary(): string | undefined {
    if (!this.#dir) return undefined;
    const file = path.join(this.#dir, 'summary.json');
    const rows = [...this.bySignature].sort((a, b) => b[1].count - a[1].count).map(([signature, e]) => ({ signature, ...e }));
    fs.writeFileSync(file, JSON.stringify({ byClass: Object.fromEntries(this.byClass), signatures: rows }, null, 1));
    return file;
  }

  /** Lines for the report: classes, then signatures (most frequent first) with an example file. */
  report(limit = 60): string[] {
    const lines: string[] = [];
    const order: FindingClass[] = ['restart', 'smuggled', 'desync', 'unanswered', 'lost', 'mixup', 'stall', 'no-answer', 'bad-answer', 'malformed', 'divergence'];
    lines.push(`findings by class: ${order.map((c) => `${c} ${this.count(c)}`).join(', ')}`);
    for (const cls of order) {
      const sigs = [...this.bySignature].filter(([, e]) => e.cls === cls).sort((a, b) => b[1].count - a[1].count);
      if (!sigs.length) continue;
      lines.push(`  ${cls}: ${sigs.length} signature(s)`);
      for (const [sig, e] of sigs.slice(0, limit)) {
        lines.push(`    ${String(e.count).padStart(6)}  ${sig}${e.known ? `  [known: ${e.known}]` : ''}`);
        lines.push(`            ${e.detail.slice(0, 220)}${e.example ? `\n            replay: ${e.example}` : ''}`);
      }
      if (sigs.length > limit) lines.push(`    ... ${sigs.length - limit} more`);
    }
    return lines;
  }
}
