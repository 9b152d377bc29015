import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { BuildCache } from './build-cache.ts';
import { parseJsonFast } from './parse-json-fast.ts';
import { splitDocuments } from './split-documents.ts';
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

/** One object of a chunk, with lines counted from the chunk's first line (1). */
interface ChunkItem {
  data: Record<string, unknown>;
  line: number | undefined;
  /** Which document of the chunk, and the path to the object in it (a List item). */
  doc: number;
  prefix: FieldPath;
}

type ChunkProblem = Omit<ManifestError, 'file'>;

/**
 * What one chunk of YAML (usually one document) says, wherever it sits in
 * its file: objects as plain data and problems, lines relative to the
 * chunk. The YAML node tree is not kept: field lines, wanted only for errors,
 * come from parsing the chunk again on the first one.
 */
export class ParsedChunk {
  readonly text: string;
  readonly items: ChunkItem[] = [];
  readonly problems: ChunkProblem[] = [];
  #tree: { docs: Document.Parsed[]; lineAt: (offset: number) => number } | undefined;
  /** The objects as last handed out: same file and line, same RawObjects (validation is cached by their identity). */
  #raws: { file: string; line: number; objects: RawObject[] } | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** Line of `path` in item `i`, relative to the chunk. */
  locate(i: number, path: FieldPath): number | undefined {
    const item = this.items[i]!;
    this.#tree ??= parseTree(this.text);
    const root = (this.#tree.docs[item.doc]?.contents ?? null) as YamlNode | null;
    return locate(root, [...item.prefix, ...path], this.#tree.lineAt) ?? item.line;
  }

  /** The chunk's objects as they sit in `file` at 1-based `line`; problems go to `errors`. */
  objects(file: string, line: number, errors: ManifestError[]): RawObject[] {
    const shift = line - 1;
    for (const p of this.problems) errors.push({ file, ...p, ...(p.line !== undefined ? { line: p.line + shift } : {}) });
    if (this.#raws?.file === file && this.#raws.line === line) return this.#raws.objects;
    const objects = this.items.map((item, i): RawObject => ({
      file,
      data: item.data,
      line: item.line !== undefined ? item.line + shift : undefined,
      lineOf: (path) => {
        const l = this.locate(i, path);
        return l !== undefined ? l + shift : undefined;
      },
    }));
    this.#raws = { file, line, objects };
    return objects;
  }
}

/**
 * Splits every file into objects. YAML goes through the YAML parser one
 * document at a time (documents whose text is in `cache` are not parsed
 * again); strict JSON through JSON.parse; both keep line numbers.
 * Syntax errors are reported per document; the other documents still load.
 */
export function parseSourceFiles(files: readonly SourceFile[], errors: ManifestError[], cache: BuildCache = new BuildCache()): RawObject[] {
  const out: RawObject[] = [];
  cache.beginBuild();
  for (const f of files) parseOne(f, out, errors, cache);
  cache.endBuild();
  return out;
}

/** YAML errors reported per document: after a few, the rest are consequences of the first. */
const MAX_SYNTAX_ERRORS = 3;

function parseOne(f: SourceFile, out: RawObject[], errors: ManifestError[], cache: BuildCache): void {
  if (f.text.includes('\u0000')) {
    errors.push({ file: f.path, message: 'is a binary file (it contains NUL bytes), not YAML or JSON text: move it out of the manifests directory' });
    return;
  }
  if (/\.json$/i.test(f.path)) {
    const objects = cache.json(f.path, f.text, () => parseJsonFast(f.path, f.text));
    if (objects) {
      for (const o of objects) out.push(o);
      return;
    }
  }
  const chunks = cache.split(f.path, f.text, splitDocuments);
  for (const c of chunks) {
    const parsed = cache.chunk(f.path, c.text, () => parseChunk(c.text, chunks.length === 1));
    for (const o of parsed.objects(f.path, c.line, errors)) out.push(o);
  }
}

function parseTree(text: string): { docs: Document.Parsed[]; lineAt: (offset: number) => number } {
  const lc = new LineCounter();
  // Pretty errors would quote the source (a Secret's, perhaps) and count lines from the chunk: messages are built here.
  const parsed = parseAllDocuments(text, { lineCounter: lc, merge: true, prettyErrors: false });
  return { docs: Array.isArray(parsed) ? parsed : [], lineAt: (offset) => lc.linePos(offset).line };
}

function parseChunk(text: string, wholeFile: boolean): ParsedChunk {
  const chunk = new ParsedChunk(text);
  const { items, problems } = chunk;
  let tree: ReturnType<typeof parseTree>;
  try {
    tree = parseTree(text);
  } catch (err) {
    problems.push({ ...(wholeFile ? {} : { line: 1 }), message: `cannot parse ${wholeFile ? 'file' : 'document'}: ${syntaxMessage((err as Error).message)}` });
    return chunk;
  }
  const { docs, lineAt } = tree;
  const lineOfError = (e: { pos: [number, number] }) => (e.pos[0] >= 0 ? lineAt(e.pos[0]) : 1);
  docs.forEach((doc, d) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
        // The line is the error's own; the column goes in the message (a chunk's columns are the file's).
        const column = e.pos[0] >= 0 ? ` (column ${e.pos[0] - text.lastIndexOf('\n', e.pos[0] - 1)})` : '';
        problems.push({ line: lineOfError(e), message: `invalid YAML/JSON, document skipped: ${syntaxMessage(e.message)}${column}` });
      }
      if (doc.errors.length > MAX_SYNTAX_ERRORS) {
        problems.push({ line: lineOfError(doc.errors[MAX_SYNTAX_ERRORS]!), message: `invalid YAML/JSON: ${doc.errors.length - MAX_SYNTAX_ERRORS} more error(s) in this document, not listed` });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ line: docLine(doc, lineAt), message: `cannot read document: ${syntaxMessage((err as Error).message)}` });
      return;
    }
    if (value === null || value === undefined) return; // empty document, e.g. a trailing '---'
    const root = doc.contents as YamlNode | null;
    if (!isPlainObject(value)) {
      problems.push({ line: docLine(doc, lineAt), message: 'document is not a Kubernetes object (expected a mapping with apiVersion and kind)' });
      return;
    }
    if (value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))) {
      const list = value.items;
      if (!Array.isArray(list)) {
        problems.push({ line: locate(root, ['items'], lineAt), kind: 'List', field: 'items', message: 'a List must have an "items" list of objects' });
        return;
      }
      list.forEach((item, i) => {
        const prefix = ['items', i] as const;
        if (!isPlainObject(item)) {
          problems.push({ line: locate(root, prefix, lineAt), kind: 'List', field: `items[${i}]`, message: 'list item is not a Kubernetes object' });
          return;
        }
        items.push({ data: item, line: locate(root, prefix, lineAt), doc: d, prefix });
      });
      return;
    }
    items.push({ data: value, line: locate(root, [], lineAt), doc: d, prefix: [] });
  });
  return chunk;
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
