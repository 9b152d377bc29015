import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { parseJsonFast } from './parse-json-fast.ts';
import type { ManifestError, SourceFile } from './types.ts';

export type FieldPath = readonly (string | number)[];

/** One Kubernetes object as found in a file, with a way to find field lines. */
export interface RawObject {
  file: string;
  /** Line of the object itself (1-based). */
  line?: number;
  data: Record<string, unknown>;
  /** 1-based line of a field (or of its deepest existing parent). */
  lineOf(path: FieldPath): number | undefined;
}

/**
 * Splits every file into objects. YAML and JSON both go through the YAML
 * parser (JSON is YAML 1.2 flow syntax) so both keep line numbers.
 * Syntax errors are reported per document; the other documents still load.
 */
export function parseSourceFiles(files: readonly SourceFile[], errors: ManifestError[]): RawObject[] {
  const out: RawObject[] = [];
  for (const f of files) parseOne(f, out, errors);
  return out;
}

/** YAML errors reported per document: after a few, the rest are consequences of the first. */
const MAX_SYNTAX_ERRORS = 3;

function parseOne(f: SourceFile, out: RawObject[], errors: ManifestError[]): void {
  if (f.text.includes('\u0000')) {
    errors.push({ file: f.path, message: 'is a binary file (it contains NUL bytes), not YAML or JSON text: move it out of the manifests directory' });
    return;
  }
  if (/\.json$/i.test(f.path)) {
    const objects = parseJsonFast(f.path, f.text);
    if (objects) {
      for (const o of objects) out.push(o);
      return;
    }
  }
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(f.text, { lineCounter: lc, merge: true, prettyErrors: true });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    errors.push({ file: f.path, message: `cannot parse file: ${syntaxMessage((err as Error).message)}` });
    return;
  }
  const lineAt = (offset: number) => lc.linePos(offset).line;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
        const line = e.linePos?.[0]?.line ?? lineAt(e.pos[0]);
        errors.push({ file: f.path, line, message: `invalid YAML/JSON, document skipped: ${syntaxMessage(e.message)}` });
      }
      if (doc.errors.length > MAX_SYNTAX_ERRORS) {
        errors.push({ file: f.path, line: lineAt(doc.errors[MAX_SYNTAX_ERRORS]!.pos[0]), message: `invalid YAML/JSON: ${doc.errors.length - MAX_SYNTAX_ERRORS} more error(s) in this document, not listed` });
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      errors.push({ file: f.path, line: docLine(doc, lineAt), message: `cannot read document: ${syntaxMessage((err as Error).message)}` });
      continue;
    }
    if (value === null || value === undefined) continue; // empty document, e.g. a trailing '---'
    const root = doc.contents as YamlNode | null;
    if (!isPlainObject(value)) {
      errors.push({ file: f.path, line: docLine(doc, lineAt), message: 'document is not a Kubernetes object (expected a mapping with apiVersion and kind)' });
      continue;
    }
    if (value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))) {
      const items = value.items;
      if (!Array.isArray(items)) {
        errors.push({ file: f.path, line: locate(root, ['items'], lineAt), kind: 'List', field: 'items', message: 'a List must have an "items" list of objects' });
        continue;
      }
      items.forEach((item, i) => {
        const prefix = ['items', i] as const;
        if (!isPlainObject(item)) {
          errors.push({ file: f.path, line: locate(root, prefix, lineAt), kind: 'List', field: `items[${i}]`, message: 'list item is not a Kubernetes object' });
          return;
        }
        out.push(makeRaw(f.path, item, root, prefix, lineAt));
      });
      continue;
    }
    out.push(makeRaw(f.path, value, root, [], lineAt));
  }
}

function makeRaw(file: string, data: Record<string, unknown>, root: YamlNode | null, prefix: FieldPath, lineAt: (o: number) => number): RawObject {
  return {
    file,
    data,
    line: locate(root, prefix, lineAt),
    lineOf: (path) => locate(root, [...prefix, ...path], lineAt),
  };
}

/** Walks the YAML node tree; returns the line of the deepest key/item found. */
function locate(root: YamlNode | null, path: FieldPath, lineAt: (o: number) => number): number | undefined {
  let node: unknown = root;
  let line = startLine(node, lineAt);
  for (const p of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => keyOf(it.key) === p);
      if (!pair) break;
      line = startLine(pair.key, lineAt) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof p === 'number') {
      const item = node.items[p];
      if (item === undefined) break;
      line = startLine(item, lineAt) ?? line;
      node = item;
    } else break;
  }
  return line;
}

function keyOf(k: unknown): unknown {
  return k !== null && typeof k === 'object' && 'value' in k ? (k as { value: unknown }).value : k;
}

function startLine(node: unknown, lineAt: (o: number) => number): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? lineAt(range[0]) : undefined;
}

function docLine(doc: Document.Parsed, lineAt: (o: number) => number): number | undefined {
  return startLine(doc.contents, lineAt) ?? (doc.range ? lineAt(doc.range[0]) : undefined);
}

/** The YAML library's message, first line only (the rest quotes the source, which may be a Secret). */
function syntaxMessage(s: string): string {
  const first = s.split('\n')[0]!.slice(0, 200);
  // A stack overflow inside the parser: say what it means for a manifest.
  return first.replace(/^Maximum call stack size exceeded/, 'nested too deeply (Kubernetes objects are a few levels deep)');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
