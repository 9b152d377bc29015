// JSON manifests (`kubectl get ... -o json` dumps: a List of thousands of
// objects) through JSON.parse, about a hundred times faster than the YAML
// parser. Object lines come from one cheap scan of the text; field lines,
// needed only when an object has an error, from the YAML parser on demand.
import { isPlainObject } from './parse-documents.ts';
import type { RawObject } from './parse-documents.ts';

/**
 * The objects of a JSON file, or undefined when the file is not strict JSON
 * or not shaped as meshgate reads it (the YAML path then reports precisely).
 * `fieldLines(path)` parses the file as YAML once, on the first call.
 */
export function parseJsonFast(file: string, text: string, fieldLines: () => (path: readonly (string | number)[]) => number | undefined): RawObject[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  let locate: ((path: readonly (string | number)[]) => number | undefined) | undefined;
  const lineOf = (prefix: readonly (string | number)[]) => (path: readonly (string | number)[]) => (locate ??= fieldLines())([...prefix, ...path]);
  const isList = value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items));
  if (!isList) return [{ file, data: value, line: lineAtOffset(text, text.indexOf('{')), lineOf: lineOf([]) }];
  const items = value.items;
  if (!Array.isArray(items) || !items.every(isPlainObject)) return undefined; // the YAML path names the bad item
  const lines = itemLines(text);
  if (lines.length !== items.length) return undefined;
  return items.map((data, i) => ({ file, data: data as Record<string, unknown>, line: lines[i], lineOf: lineOf(['items', i]) }));
}

function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** 1-based line of each element of the root object's "items" array, in one pass over the text. */
function itemLines(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let line = 1;
  let lastString = '';
  let stringStart = -1;
  let collecting = false;
  let expectItem = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) {
        if (depth === 1) lastString = text.slice(stringStart + 1, i);
        stringStart = -1;
      }
      continue;
    }
    if (c === 10) { line++; continue; }
    if (c === 32 || c === 9 || c === 13) continue;
    if (collecting && depth === 2 && expectItem && c !== 93) {
      out.push(line);
      expectItem = false;
    }
    switch (c) {
      case 34: stringStart = i; break;
      case 123: case 91: // { [
        depth++;
        if (c === 91 && depth === 2 && lastString === 'items') { collecting = true; expectItem = true; }
        break;
      case 125: case 93: // } ]
        if (depth === 2 && c === 93) collecting = false;
        depth--;
        break;
      case 44: // ,
        if (collecting && depth === 2) expectItem = true;
        break;
    }
  }
  return out;
}
