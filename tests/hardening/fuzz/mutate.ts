// Mutations of valid manifests, as an operator's typo, a bad merge, a
// truncated copy or an attacker would make them. Each takes the PRNG, so a
// failing case is replayed from its seed.
import { parseAllDocuments, stringify } from 'yaml';
import type { SourceFile } from '@meshgate/ingress';
import type { Prng } from './prng.ts';

/** Values that are wrong somewhere in every Kubernetes field. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, 65536, 2 ** 53 + 1, 1e308, -0, '', ' ', 'x', '/', '*', '*.', '-', '..', '/../..', '%2F',
  'a'.repeat(300), 'UPPER.Example.COM', 'ünïcödé', '💥', '\u0000', '\r\nInjected: line', '\t', '${HOME}', '{{ .Values }}',
  '2024-13-45T99:99:99Z', '[1,2]', [], {}, [null], [[]], [{}], { a: { b: [] } }, ['x', 1, null],
];

type Json = unknown;

/** The documents of a text that still parse (earlier text mutations may have broken some). */
function docsOf(text: string): Json[] {
  const out: Json[] = [];
  for (const d of parseAllDocuments(text)) {
    if (!('toJS' in d) || d.errors.length > 0) continue;
    try {
      out.push(d.toJS({ maxAliasCount: 100 }) as Json);
    } catch {
      // an alias the mutation broke: leave this document out
    }
  }
  return out;
}

/** Every [path, value] of leaves and containers in a JS value. */
function slots(v: Json, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => slots(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) slots(x, [...path, k], out);
  return out;
}

function setAt(root: Json, path: (string | number)[], value: Json | typeof DELETE): Json {
  if (path.length === 0) return value === DELETE ? null : value;
  let o = root as Record<string | number, Json>;
  for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (value === DELETE) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
  return root;
}
const DELETE = Symbol('delete');

const KINDS = ['Ingress', 'Service', 'Endpoints', 'EndpointSlice', 'Node', 'Secret', 'IngressClass', 'List', 'Gateway', ''];

/** Object-level mutations: parse, change one thing, write YAML back. */
const objectMutations: ((r: Prng, docs: Json[]) => void)[] = [
  (r, docs) => { // a field of the wrong type or value
    const i = r.int(docs.length);
    const s = slots(docs[i]);
    docs[i] = setAt(docs[i], r.pick(s), structuredClone(r.pick(HOSTILE_VALUES)));
  },
  (r, docs) => { // a field deleted
    const i = r.int(docs.length);
    const s = slots(docs[i]).filter((p) => p.length > 0);
    if (s.length) docs[i] = setAt(docs[i], r.pick(s), DELETE);
  },
  (r, docs) => { // an object copied (duplicate names), maybe into another namespace
    const copy = structuredClone(docs[r.int(docs.length)]) as Record<string, Record<string, unknown>>;
    if (copy && typeof copy === 'object' && r.next() < 0.5 && copy.metadata && typeof copy.metadata === 'object') copy.metadata.namespace = r.pick(['other', 'default', 'Bad_NS', '']);
    docs.push(copy);
  },
  (r, docs) => { // kind or apiVersion swapped
    const d = docs[r.int(docs.length)] as Record<string, unknown> | null;
    if (d && typeof d === 'object') {
      if (r.next() < 0.5) d.kind = r.pick(KINDS);
      else d.apiVersion = r.pick(['v1', 'networking.k8s.io/v1', 'extensions/v1beta1', 'discovery.k8s.io/v1', 'v2', '']);
    }
  },
  (r, docs) => { // a subtree moved somewhere else
    const a = r.int(docs.length);
    const b = r.int(docs.length);
    const from = r.pick(slots(docs[a]));
    let v: Json = docs[a];
    for (const p of from) v = (v as Record<string | number, Json>)[p];
    const to = r.pick(slots(docs[b]));
    docs[b] = setAt(docs[b], to, structuredClone(v));
  },
  (r, docs) => { // a list wrapped around a value, or a value pulled out of its list
    const i = r.int(docs.length);
    const p = r.pick(slots(docs[i]));
    let v: Json = docs[i];
    for (const k of p) v = (v as Record<string | number, Json>)[k];
    docs[i] = setAt(docs[i], p, Array.isArray(v) ? (v[0] ?? null) : [v]);
  },
];

/** Text-level mutations: what no parser-level change can produce. */
const textMutations: ((r: Prng, text: string) => string)[] = [
  (r, t) => t.slice(0, r.int(t.length + 1)), // truncated copy
  (r, t) => { // one character replaced by a YAML-significant or control character
    const i = r.int(t.length);
    return t.slice(0, i) + r.pick([':', '-', '*', '&', '!', '%', '|', '>', '#', '"', "'", '{', '[', '\t', '\0', '\r', '\\', '@', '`', '?', '\u00ff', '\ufeff']) + t.slice(i + 1);
  },
  (r, t) => { // a line duplicated, deleted, indented or dedented
    const lines = t.split('\n');
    const i = r.int(lines.length);
    const op = r.int(4);
    if (op === 0) lines.splice(i, 0, lines[i]!);
    else if (op === 1) lines.splice(i, 1);
    else if (op === 2) lines[i] = `  ${lines[i]}`;
    else lines[i] = lines[i]!.replace(/^ {1,2}/, '');
    return lines.join('\n');
  },
  (r, t) => { // random bytes spliced in
    const i = r.int(t.length + 1);
    return t.slice(0, i) + r.bytes(1 + r.int(64)).toString('latin1') + t.slice(i);
  },
  (r, t) => { // anchors and aliases spliced in
    const i = r.int(t.length + 1);
    return `${t.slice(0, i)}${r.pick([' &a ', ' *a', ' <<: *a', ' !!binary ', ' !!int ', '\n---\n', '\n...\n', ' %YAML 1.1\n'])}${t.slice(i)}`;
  },
];

/** One to three mutations of the seed files: objects (YAML rewritten) or raw text. */
export function mutate(r: Prng, seed: readonly SourceFile[]): SourceFile[] {
  const files = seed.map((f) => ({ ...f }));
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const f = files[r.int(files.length)]!;
    if (r.next() < 0.6) {
      const docs = docsOf(f.text);
      if (docs.length === 0) continue;
      r.pick(objectMutations)(r, docs);
      f.text = docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join('---\n');
    } else {
      f.text = r.pick(textMutations)(r, f.text);
    }
  }
  return files;
}

/**
 * Single-field wrong-type variants of a file: every leaf and container
 * replaced by `perField` hostile values (rotating through all of them, so
 * every value meets many fields and every field several kinds of value).
 */
export function* wrongTypesEverywhere(file: SourceFile, perField = 4, values: readonly unknown[] = HOSTILE_VALUES): Generator<{ what: string; file: SourceFile }> {
  const docs = docsOf(file.text);
  let slot = 0;
  for (let d = 0; d < docs.length; d++) {
    for (const path of slots(docs[d])) {
      if (path.length === 0) continue;
      slot++;
      for (let k = 0; k < perField; k++) {
        const v = values[(slot * 7 + k * 11) % values.length];
        const copy = structuredClone(docs);
        copy[d] = setAt(copy[d], path, structuredClone(v));
        yield { what: `${file.path} doc ${d} ${path.join('.')} = ${JSON.stringify(v)?.slice(0, 30)}`, file: { path: file.path, text: copy.map((x) => stringify(x, { aliasDuplicateObjects: false })).join('---\n') } };
      }
    }
  }
}
