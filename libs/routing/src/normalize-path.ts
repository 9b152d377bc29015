/**
 * Request-target -> the path used for routing AND sent to the backend.
 *
 * Exactly what is done, in order:
 * 1. The target must start with "/" (origin-form); anything else -> null.
 * 2. It is split at the first "?": `query` is the text after it, unchanged
 *    ('' when there is none). A "#" anywhere -> null (clients never send one).
 * 3. Control characters, space, DEL and "\" -> null.
 * 4. Percent-escapes: a malformed one ("%", "%4", "%zz") -> null; an encoded
 *    "/" (%2F) or NUL (%00) -> null, because decoding them would change which
 *    route matches. Escapes of unreserved characters (A-Z a-z 0-9 - . _ ~)
 *    are decoded, keeping their case ("%41" -> "A", "%61" -> "a", "%2e" -> ".").
 *    Every other escape is kept, with its hex digits upper-cased ("%3a" -> "%3A").
 * 5. Runs of "/" collapse to one ("/a//b" -> "/a/b").
 * 6. Dot segments are resolved as in RFC 3986 5.2.4 ("/a/./b" -> "/a/b",
 *    "/a/../b" -> "/b", "/.." -> "/"), after step 4, so "%2e%2e" counts too;
 *    a path ending in "/." or "/.." keeps its trailing slash ("/a/b/.." -> "/a/").
 * Case is never changed otherwise. The fast path (nothing to do) allocates
 * only the slice.
 *
 * Segments that other servers read differently (`..;`, `%5C`) are left as
 * they are here: `ambiguousPath` finds them, for `--path-strictness strict`.
 */
export function normalizePath(rawTarget: string): { path: string; query: string } | null {
  if (rawTarget.length === 0 || rawTarget.charCodeAt(0) !== 47 /* / */) return null;
  const q = rawTarget.indexOf('?');
  const raw = q === -1 ? rawTarget : rawTarget.slice(0, q);
  const query = q === -1 ? '' : rawTarget.slice(q + 1);
  if (query.indexOf('#') !== -1) return null;
  let needsWork = false;
  let prev = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 35 /* # */ || c === 92 /* \ */) return null;
    if (c === 37 /* % */) needsWork = true;
    else if (c === 47 && (prev === 47)) needsWork = true;
    else if (c === 46 /* . */ && prev === 47) needsWork = true;
    prev = c;
  }
  if (!needsWork) return { path: raw, query };
  const decoded = decodeUnreserved(raw);
  if (decoded === null) return null;
  return { path: resolveSegments(decoded), query };
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isUnreserved(b: number): boolean {
  return (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b === 45 || b === 46 || b === 95 || b === 126;
}

function decodeUnreserved(s: string): string | null {
  if (s.indexOf('%') === -1) return s;
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 37) continue;
    if (i + 2 >= s.length) return null;
    const hi = hexVal(s.charCodeAt(i + 1));
    const lo = hexVal(s.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return null;
    const b = hi * 16 + lo;
    if (b === 0x2f || b === 0) return null;
    out += s.slice(start, i);
    out += isUnreserved(b) ? String.fromCharCode(b) : `%${s[i + 1].toUpperCase()}${s[i + 2].toUpperCase()}`;
    start = i + 3;
    i += 2;
  }
  return out + s.slice(start);
}

function resolveSegments(path: string): string {
  const parts = path.split('/');
  const out: string[] = [];
  // parts[0] is '' (the leading slash); a trailing '' means a trailing slash.
  let trailingSlash = false;
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i];
    const last = i === parts.length - 1;
    if (seg === '' || seg === '.') {
      trailingSlash = last;
      continue;
    }
    if (seg === '..') {
      out.pop();
      trailingSlash = last;
      continue;
    }
    out.push(seg);
    trailingSlash = false;
  }
  if (out.length === 0) return '/';
  return '/' + out.join('/') + (trailingSlash ? '/' : '');
}

/** A `..` or `.` segment with `;` parameters (after normalizePath: `%2e` is `.`, escapes upper-case). */
const DOT_PARAMS = /(?:^|\/)(\.\.?(?:;|%3B))/;

/**
 * What in a path from normalizePath another server would resolve
 * differently from us, or undefined. Tomcat and Spring drop `;` parameters
 * before resolving dot segments, so `/public/..;/admin` is `/admin` to them
 * while it routes as `/public/...` here; IIS, and Spring with some settings,
 * read an encoded backslash `%5C` as `/`. Both are refused with 400 under
 * `--path-strictness strict`.
 */
export function ambiguousPath(path: string): string | undefined {
  if (path.indexOf(';') === -1 && path.indexOf('%') === -1) return undefined;
  if (path.indexOf('%5C') !== -1) return 'an encoded backslash (%5C)';
  const m = DOT_PARAMS.exec(path);
  return m === null ? undefined : `a dot segment with parameters (${m[1]!.replace('%3B', ';')})`;
}
