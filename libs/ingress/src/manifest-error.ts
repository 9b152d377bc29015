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
  return `${out}: ${e.message}`;
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
