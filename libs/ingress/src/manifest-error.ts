import type { ManifestError } from './types.ts';

/**
 * One line per error, compiler style, so editors can jump to it:
 * `manifests/ing.yaml:12: Ingress default/hello-ingress: spec.rules[0].http.paths[1].path: must start with "/"`
 */
export function formatManifestError(e: ManifestError): string {
  let out = e.line !== undefined ? `${e.file}:${e.line}` : e.file;
  if (e.kind !== undefined || e.name !== undefined) {
    const who = e.name === undefined ? '' : e.namespace ? `${e.namespace}/${e.name}` : e.name;
    out += `: ${[e.kind ?? 'object', who].filter(Boolean).join(' ')}`;
  }
  if (e.field) out += `: ${e.field}`;
  // A file name or a field (an annotation key) may hold a newline: one error, one line.
  return escapeControl(`${out}: ${e.message}`);
}

/** `['spec','rules',0,'host']` -> `spec.rules[0].host`. */
export function fieldPathString(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

const LONG_QUOTED = /"((?:[^"\\]|\\.){81,}?)"/g;

/**
 * An error message as it may be logged and printed: a value it quotes that is
 * longer than 80 characters is replaced by its length (a 10 MB host name
 * stays in the file, not in every log line; a key pasted into the wrong
 * field is not repeated), control characters are escaped (a CR/LF in a manifest value cannot
 * forge log or terminal lines), and the whole stays under 2,000 characters.
 */
export function safeMessage(message: string): string {
  let m = message.replace(LONG_QUOTED, (_all, q: string) => `(a value of ${q.length} characters)`);
  m = escapeControl(m);
  return m.length > 2000 ? `${m.slice(0, 1990)}... (cut)` : m;
}

function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
