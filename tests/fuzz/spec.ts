/** A request under construction, and the helpers features use to change it. */
import type { Prng } from '../hardening/fuzz/prng.ts';

export interface Spec {
  /** Bytes before the request line (e.g. an empty line). */
  leading: string;
  method: string;
  target: string;
  /** '' for an HTTP/0.9-style line without a version. */
  version: string;
  /** Separator inside the request line. */
  sep: string;
  /** Header lines without their line ends (anything goes: folds, no colon...). */
  lines: string[];
  /** Line end of the head. */
  eol: string;
  /** The body content, before framing. */
  content: string;
  /** The body bytes after the head, as framed. */
  body: string;
  features: string[];
}

export interface Ctx { lane: number; host: string; tag: string; smuggleTag: string; r: Prng }

export const CRLF = '\r\n';

export function smuggledRequest(ctx: Pick<Ctx, 'host' | 'smuggleTag'>): string {
  return `GET /smuggled HTTP/1.1${CRLF}Host: ${ctx.host}${CRLF}X-Fuzz-Tag: ${ctx.smuggleTag}${CRLF}${CRLF}`;
}

export function chunk(content: string, r: Prng): string {
  let out = '';
  let rest = content;
  while (rest.length > 0) {
    const n = 1 + r.int(rest.length);
    out += `${n.toString(16)}${CRLF}${rest.slice(0, n)}${CRLF}`;
    rest = rest.slice(n);
  }
  return `${out}0${CRLF}${CRLF}`;
}

export function dropFraming(s: Spec): void {
  s.lines = s.lines.filter((l) => !/^(content-length|transfer-encoding):/i.test(l));
}

/** Gives the request a body of `content`, framed by Content-Length or chunked. */
export function frame(s: Spec, how: 'cl' | 'chunked', r: Prng, content = s.content): void {
  dropFraming(s);
  s.content = content;
  if (how === 'cl') {
    s.lines.push(`Content-Length: ${content.length}`);
    s.body = content;
  } else {
    s.lines.push('Transfer-Encoding: chunked');
    s.body = chunk(content, r);
  }
}

export function bodyContent(ctx: Ctx): string {
  const r = ctx.r;
  if (r.next() < 0.5) return smuggledRequest(ctx);
  return 'x'.repeat(r.int(40)) + (r.next() < 0.2 ? `${CRLF}0${CRLF}${CRLF}` : '');
}

export function serialize(s: Spec): string {
  const line = s.version === '' ? `${s.method}${s.sep}${s.target}` : `${s.method}${s.sep}${s.target}${s.sep}${s.version}`;
  return `${s.leading}${line}${s.eol}${s.lines.map((l) => l + s.eol).join('')}${s.eol}${s.body}`;
}

