/**
 * Byte-level mutations of a generated case: what no grammar thinks of. The
 * tag line of every request (X-Fuzz-Tag: ...) is kept intact, so whatever
 * reaches a backend can still be told apart; a mutation that breaks one is
 * undone.
 */
import type { Prng } from '../hardening/fuzz/prng.ts';

const TOKENS = ['\r\n', '\n', '\r', ' ', '\t', '\x00', ':', ',', ';', '"', '\\', '%', '/', '..', '\x0b', '\x0c', '\x80', '\xff', '0', 'chunked', '\r\n\r\n',
  'Content-Length: 0\r\n', 'Transfer-Encoding: chunked\r\n', 'Connection: content-length\r\n', 'Content-Length: 5\r\n', ' HTTP/1.1', '?', '#', '%2e', '0\r\n\r\n'];
const HEADER_LINES = ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity', 'Content-Length: 0', 'Content-Length: 10', 'Connection: close', 'Connection: host', 'Host: other.fuzz', 'Expect: 100-continue', ' folded', 'X: \x00'];

type Op = (r: Prng, b: string) => string;

const ops: Record<string, Op> = {
  flip: (r, b) => { const i = r.int(b.length); return b.slice(0, i) + String.fromCharCode(r.int(256)) + b.slice(i + 1); },
  insert: (r, b) => { const i = r.int(b.length + 1); return b.slice(0, i) + r.pick(TOKENS) + b.slice(i); },
  delete: (r, b) => { const i = r.int(b.length); return b.slice(0, i) + b.slice(i + 1 + r.int(4)); },
  'dup-line': (r, b) => { const ls = b.split('\r\n'); const i = r.int(ls.length); ls.splice(i, 0, ls[i]); return ls.join('\r\n'); },
  'del-line': (r, b) => { const ls = b.split('\r\n'); ls.splice(r.int(ls.length), 1); return ls.join('\r\n'); },
  'crlf-to-lf': (r, b) => { const at = [...b.matchAll(/\r\n/g)].map((m) => m.index); if (!at.length) return b; const i = r.pick(at); return b.slice(0, i) + b.slice(i + 1); },
  digit: (r, b) => { const at = [...b.matchAll(/\d/g)].map((m) => m.index); if (!at.length) return b; const i = r.pick(at); return b.slice(0, i) + r.pick(['0', '1', '9', '00', '-', 'a', 'f', '99']) + b.slice(i + 1); },
  case: (r, b) => { const at = [...b.matchAll(/[A-Za-z]/g)].map((m) => m.index); if (!at.length) return b; const i = r.pick(at); const c = b[i]; return b.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + b.slice(i + 1); },
  'add-header': (r, b) => { const at = [...b.matchAll(/\r\n/g)].map((m) => m.index); if (!at.length) return b; const i = r.pick(at) + 2; return `${b.slice(0, i)}${r.pick(HEADER_LINES)}\r\n${b.slice(i)}`; },
  truncate: (r, b) => b.slice(0, Math.max(1, b.length - 1 - r.int(Math.min(40, b.length)))),
  space: (r, b) => { const at = [...b.matchAll(/[: ]/g)].map((m) => m.index); if (!at.length) return b; const i = r.pick(at); return b.slice(0, i) + r.pick([' ', '  ', '\t', '', ' :', ': ']) + b.slice(i + 1); },
};
const NAMES = Object.keys(ops);

/** 1-3 mutations of `bytes` (latin1), keeping each tag's line intact. */
export function mutateCase(r: Prng, bytes: string, tags: readonly string[]): { bytes: string; ops: string[] } {
  const lines = tags.map((t) => `X-Fuzz-Tag: ${t}${bytes.includes(`X-Fuzz-Tag: ${t}\r\n`) ? '\r\n' : '\n'}`);
  let b = bytes;
  const done: string[] = [];
  const n = 1 + r.int(3);
  for (let k = 0; k < n * 3 && done.length < n; k++) {
    const name = r.pick(NAMES);
    const next = ops[name](r, b);
    if (next === b || !lines.every((l) => next.includes(l))) continue;
    b = next;
    done.push(name);
  }
  return { bytes: b, ops: done };
}
