// JSON manifests (`kubectl get ... -o json` dumps: a List of thousands of
// objects) through JSON.parse, about a hundred times faster than the YAML
// parser and without its per-node memory. Object lines come from one scan of
// the text; a field's line, needed only when it has an error, from a scan of
// just that object's text.
import { isPlainObject } from './parse-documents.ts';
import type { FieldPath, RawObject } from './parse-documents.ts';

/**
 * The objects of a JSON file, or undefined when the file is not strict JSON
 * or not shaped as meshgate reads it (the YAML path then reports precisely).
 */
export function parseJsonFast(file: string, text: string): RawObject[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const isList = value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items));
  if (!isList) {
    const start = text.indexOf('{');
    const line = lineAtOffset(text, start);
    return [{ file, data: value, line, lineOf: (path) => locateJson(text, start, line, path) }];
  }
  const items = value.items;
  if (!Array.isArray(items) || !items.every(isPlainObject)) return undefined; // the YAML path names the bad item
  const starts = itemStarts(text);
  if (starts.length !== items.length) return undefined;
  return items.map((data, i) => {
    const [offset, line] = starts[i]!;
    return { file, data: data as Record<string, unknown>, line, lineOf: (path: FieldPath) => locateJson(text, offset, line, path) };
  });
}

function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** [offset, 1-based line] of each element of the root object's "items" array, in one pass. */
function itemStarts(text: string): [number, number][] {
  const out: [number, number][] = [];
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
      out.push([i, line]);
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

/**
 * Line of the deepest key or element of `path` found in the JSON value at
 * `start` (as the YAML path's `locate`: a key's line for mappings, an
 * element's line for lists). The text is valid JSON: JSON.parse read it.
 */
function locateJson(text: string, start: number, startLine: number, path: FieldPath): number {
  let i = start;
  let line = startLine;
  let found = startLine;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      i++;
    }
  };
  const readString = (): string => {
    const from = i;
    for (i++; text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    i++;
    return JSON.parse(text.slice(from, i)) as string;
  };
  const skipValue = () => {
    ws();
    const c = text.charCodeAt(i);
    if (c === 34) {
      readString();
      return;
    }
    if (c === 123 || c === 91) {
      let depth = 0;
      for (;;) {
        const d = text.charCodeAt(i);
        if (d === 34) {
          readString();
          continue;
        }
        if (d === 10) line++;
        else if (d === 123 || d === 91) depth++;
        else if ((d === 125 || d === 93) && --depth === 0) {
          i++;
          return;
        }
        i++;
      }
    }
    // A number, true, false or null.
    for (; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) return;
    }
  };
  for (const p of path) {
    ws();
    const c = text.charCodeAt(i);
    if (c === 123 && typeof p === 'string') {
      i++;
      let hit = false;
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 125) break;
        const keyLine = line;
        const key = readString();
        ws();
        i++; // :
        if (key === p) {
          found = keyLine;
          hit = true;
          break;
        }
        skipValue();
        ws();
        if (text.charCodeAt(i) === 44) i++;
      }
      if (!hit) return found;
    } else if (c === 91 && typeof p === 'number') {
      i++;
      let k = 0;
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 93) return found;
        if (k === p) {
          found = line;
          break;
        }
        skipValue();
        ws();
        if (text.charCodeAt(i) === 44) i++;
        k++;
      }
    } else return found;
  }
  return found;
}
