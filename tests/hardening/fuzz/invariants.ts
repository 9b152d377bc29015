import { formatManifestError, type MeshConfig, type SourceFile } from '@meshgate/ingress';

/**
 * What must hold for any input, however hostile: the result is plain data
 * (it is msgpack-encoded and shipped), every error points at a file and line
 * that exist and is one printable line, every rule's backend exists, only
 * served Ingresses contribute rules, and no error repeats a secret.
 * Returns the violations (empty = fine).
 */
export function checkInvariants(files: readonly SourceFile[], cfg: MeshConfig, secrets: readonly string[] = []): string[] {
  const out: string[] = [];
  const lines = new Map(files.map((f) => [f.path, f.text.split('\n').length]));
  for (const e of cfg.errors) {
    const line = formatManifestError(e);
    if (!lines.has(e.file)) out.push(`error names a file that was not given: ${line.slice(0, 200)}`);
    if (typeof e.message !== 'string' || e.message === '') out.push(`error without a message: ${JSON.stringify(e).slice(0, 200)}`);
    if (e.line !== undefined && (!Number.isInteger(e.line) || e.line < 1 || e.line > (lines.get(e.file) ?? 0) + 1)) out.push(`error line ${e.line} outside its file: ${line.slice(0, 200)}`);
    if (line.length > 2_500) out.push(`error message of ${line.length} characters: ${line.slice(0, 200)}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(line)) out.push(`error message with a control character (could forge log lines): ${JSON.stringify(line.slice(0, 200))}`);
    for (const s of secrets) if (line.includes(s)) out.push(`error echoes secret material: ${line.slice(0, 200)}`);
  }
  for (const st of cfg.ingresses) {
    for (const s of secrets) if ((st.reason ?? '').includes(s)) out.push(`Ingress status echoes secret material: ${st.reason!.slice(0, 200)}`);
  }
  const backends = new Set(cfg.backends.map((b) => b.id));
  const served = new Set(cfg.ingresses.filter((s) => s.state === 'served').map((s) => s.id));
  for (const r of [...cfg.rules, ...(cfg.defaultBackend ? [cfg.defaultBackend] : [])]) {
    if (!backends.has(r.backend)) out.push(`rule points at backend ${r.backend}, which is not in backends`);
    if (!served.has(r.ingress)) out.push(`rule from Ingress ${r.ingress}, which is not served`);
  }
  for (const r of cfg.rules) {
    if (typeof r.path !== 'string' || (r.pathType !== 'ImplementationSpecific' && !r.path.startsWith('/'))) out.push(`rule with path ${JSON.stringify(r.path)}`);
    if (typeof r.host !== 'string' || r.host !== r.host.toLowerCase()) out.push(`rule with host ${JSON.stringify(r.host)}`);
  }
  for (const b of cfg.backends) {
    for (const ep of b.endpoints) {
      if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) out.push(`endpoint ${ep.id} with port ${ep.port}`);
      if (typeof ep.address !== 'string' || ep.address === '') out.push(`endpoint without an address in ${b.id}`);
    }
  }
  for (const t of cfg.tls) {
    if (!t.cert.includes('-----BEGIN CERTIFICATE-----') || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(t.key)) out.push(`TLS entry ${t.id} without PEM certificate and key`);
  }
  const notPlain = findNotPlain(cfg, 'config');
  if (notPlain) out.push(`not plain data at ${notPlain}`);
  return out;
}

/** Path of the first value that is not plain JSON-like data (msgpack would change it), or undefined. */
function findNotPlain(v: unknown, path: string): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} (${v})`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findNotPlain(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      const p = findNotPlain(x, `${path}.${k}`);
      if (p) return p;
    }
    return undefined;
  }
  return `${path} (${Object.prototype.toString.call(v)})`;
}
