import { isMap, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { splitDocuments, type SourceFile } from '@meshgate/ingress';

/**
 * Kubernetes objects as documents of a file: their identity (kind,
 * namespace, name), where they are (line, text range) and a canonical form
 * to tell "unchanged" from "configured", as kubectl does.
 */
export interface ObjectDoc {
  /** `Kind/namespace/name` ('' namespace for cluster-scoped kinds). */
  readonly key: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace?: string;
  readonly name: string;
  /** kubectl's `ingress.networking.k8s.io/hello-ingress`. */
  readonly resource: string;
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
  readonly start: number;
  readonly end: number;
  /** The document's source text (one object). */
  readonly text: string;
  /** Sorted-key JSON of the object: equal means unchanged. */
  readonly canonical: string;
}

const CLUSTER_SCOPED = new Set(['Node', 'IngressClass', 'GatewayClass', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'CustomResourceDefinition']);

export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

export function resourceName(kind: string, apiVersion: string, name: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      return Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return val;
  });
}

type Problem = { file: string; line: number; message: string };

/** Parsed documents of unchanged files: YAML parsing dominates a rebuild at thousands of routes. */
const parsed = new Map<string, { text: string; docs: ObjectDoc[]; problems: Problem[] }>();
/** And of unchanged documents of changed files (by path, then document text; lines and offsets counted from the document). */
const parsedChunks = new Map<string, Map<string, { docs: ObjectDoc[]; problems: Problem[] }>>();

/**
 * Splits a file into objects (cached while the file's text is unchanged; when
 * it changed, only its changed documents are parsed again). Documents that do
 * not parse, or name no kind or metadata.name, go to `problems` as `file:line: message`.
 */
export function splitObjects(f: SourceFile, problems: Problem[] = []): ObjectDoc[] {
  const hit = parsed.get(f.path);
  if (hit && hit.text === f.text) { problems.push(...hit.problems); return hit.docs; }
  const before = parsedChunks.get(f.path);
  const now = new Map<string, { docs: ObjectDoc[]; problems: Problem[] }>();
  const docs: ObjectDoc[] = [];
  const mine: Problem[] = [];
  for (const c of splitDocuments(f.text)) {
    const chunk = before?.get(c.text) ?? now.get(c.text) ?? (() => {
      const p: Problem[] = [];
      return { docs: parseObjects({ path: f.path, text: c.text }, p), problems: p };
    })();
    now.set(c.text, chunk);
    const shift = c.line - 1;
    for (const d of chunk.docs) docs.push({ ...d, line: d.line + shift, endLine: d.endLine + shift, start: d.start + c.offset, end: d.end + c.offset });
    for (const p of chunk.problems) mine.push({ ...p, line: p.line + shift });
  }
  problems.push(...mine);
  if (parsed.size > 10_000) { parsed.clear(); parsedChunks.clear(); }
  parsed.set(f.path, { text: f.text, docs, problems: mine });
  parsedChunks.set(f.path, now);
  return docs;
}

function parseObjects(f: SourceFile, problems: { file: string; line: number; message: string }[]): ObjectDoc[] {
  const lc = new LineCounter();
  const out: ObjectDoc[] = [];
  let docs: Document.Parsed[];
  try {
    // No pretty errors: their "at line N" would count from the document, not the file.
    docs = parseAllDocuments(f.text, { lineCounter: lc, prettyErrors: false }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [];
  } catch (err) {
    problems.push({ file: f.path, line: 1, message: `cannot parse: ${(err as Error).message}` });
    return out;
  }
  const lineAt = (offset: number) => lc.linePos(offset).line;
  for (const doc of docs) {
    const range = doc.contents?.range ?? doc.range;
    const start = range[0];
    const end = range[2] ?? range[1];
    if (doc.errors.length > 0) {
      problems.push({ file: f.path, line: lineAt(Math.max(0, doc.errors[0]!.pos[0])), message: `invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      continue;
    }
    if (!doc.contents) continue;
    let data: unknown;
    try { data = doc.toJS({ maxAliasCount: 100 }); } catch (err) {
      problems.push({ file: f.path, line: lineAt(start), message: (err as Error).message });
      continue;
    }
    if (data === null || data === undefined) continue;
    if (!isMap(doc.contents) || typeof data !== 'object' || Array.isArray(data)) {
      problems.push({ file: f.path, line: lineAt(start), message: 'document is not a Kubernetes object (expected a mapping with apiVersion and kind)' });
      continue;
    }
    const obj = data as Record<string, unknown>;
    const items = typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items) ? obj.items as unknown[] : [obj];
    for (const item of items) {
      const o = (item ?? {}) as Record<string, unknown>;
      const meta = (o.metadata ?? {}) as Record<string, unknown>;
      const kind = typeof o.kind === 'string' ? o.kind : '';
      const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
      const name = typeof meta.name === 'string' ? meta.name : '';
      if (!kind || !apiVersion || !name) {
        problems.push({ file: f.path, line: lineAt(start), message: `object has no ${!kind ? 'kind' : !apiVersion ? 'apiVersion' : 'metadata.name'}: every object needs apiVersion, kind and metadata.name` });
        continue;
      }
      const namespace = CLUSTER_SCOPED.has(kind) ? undefined : (typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default');
      const doc1: ObjectDoc = {
        key: objectKey(kind, namespace, name), kind, apiVersion, name, resource: resourceName(kind, apiVersion, name),
        file: f.path, line: lineAt(start), endLine: lineAt(Math.max(start, end - 1)), start, end,
        // A List item has no text of its own: JSON is YAML, on the List's line.
        text: items.length === 1 && items[0] === obj ? f.text.slice(start, end) : JSON.stringify(o),
        canonical: canonical(o),
      };
      if (namespace !== undefined) (doc1 as { namespace?: string }).namespace = namespace;
      out.push(doc1);
    }
  }
  return out;
}

/**
 * The files the mesh is built from: the manifests directory with the objects
 * that were applied or deleted over it blanked out (same lines, so errors
 * still point at the right line), plus the applied objects, each in a file
 * named as the user named it and at its original line.
 */
export function mergeSources(dirFiles: readonly SourceFile[], applied: readonly ObjectDoc[], deleted: ReadonlySet<string>): SourceFile[] {
  const hidden = new Set([...deleted, ...applied.map((a) => a.key)]);
  const out: SourceFile[] = [];
  for (const f of dirFiles) {
    if (hidden.size === 0) { out.push(f); continue; }
    const docs = splitObjects(f).filter((d) => hidden.has(d.key) && d.end > d.start);
    if (docs.length === 0) { out.push(f); continue; }
    let text = f.text;
    for (const d of docs.sort((a, b) => b.start - a.start)) {
      text = text.slice(0, d.start) + text.slice(d.start, d.end).replace(/[^\n]/g, ' ') + text.slice(d.end);
    }
    out.push({ path: f.path, text });
  }
  const byFile = new Map<string, ObjectDoc[]>();
  for (const a of applied) byFile.set(a.file, [...(byFile.get(a.file) ?? []), a]);
  for (const [file, docs] of byFile) {
    let text = '';
    let line = 1;
    for (const d of [...docs].sort((a, b) => a.line - b.line)) {
      if (text !== '') {
        const gap = d.line - line;
        text += '\n'.repeat(Math.max(0, gap - 1)) + '---\n';
      } else {
        text += '\n'.repeat(Math.max(0, d.line - 1));
      }
      text += d.text.endsWith('\n') ? d.text : d.text + '\n';
      line = text.split('\n').length;
    }
    out.push({ path: file, text });
  }
  return out;
}
