/**
 * The catalogue of odd things a request can have: framing (Content-Length,
 * Transfer-Encoding, chunks), Connection tokens, Host, header syntax, the
 * request line, methods, versions and paths. Each feature changes one thing
 * of a valid request; its name is what a finding's signature says.
 */
import { CRLF, bodyContent, chunk, dropFraming, frame, smuggledRequest, type Ctx, type Spec } from './spec.ts';

export interface Feature { name: string; weight: number; apply(s: Spec, ctx: Ctx): void }

/** Makes sure the request has a body (a POST if it had none), framed `how`. */
function withBody(s: Spec, ctx: Ctx, how: 'cl' | 'chunked'): void {
  if (s.content === '') {
    if (s.method === 'GET' || s.method === 'HEAD' || s.method === 'OPTIONS' || s.method === 'DELETE') s.method = 'POST';
    s.content = ctx.r.next() < 0.8 ? smuggledRequest(ctx) : bodyContent(ctx);
  }
  frame(s, how, ctx.r);
}

/** A chunked body with the smuggled request as content and TE header `te` (lines). */
function te(...values: string[]): (s: Spec, ctx: Ctx) => void {
  return (s, ctx) => {
    withBody(s, ctx, 'chunked');
    dropFraming(s);
    for (const v of values) s.lines.push(v.includes(':') || v.startsWith(' ') ? v : `Transfer-Encoding: ${v}`);
  };
}

/** A Content-Length body whose CL header lines are `f(length)`. */
function cl(f: (n: number) => string[]): (s: Spec, ctx: Ctx) => void {
  return (s, ctx) => {
    withBody(s, ctx, 'cl');
    dropFraming(s);
    s.lines.push(...f(s.content.length));
  };
}

/** A chunked body whose encoding is `f(content)`. */
function chunks(f: (c: string, ctx: Ctx) => string): (s: Spec, ctx: Ctx) => void {
  return (s, ctx) => {
    withBody(s, ctx, 'chunked');
    s.body = f(s.content, ctx);
  };
}
const hex = (n: number) => n.toString(16);

function setHost(s: Spec, value: string | null): void {
  s.lines = s.lines.filter((l) => !/^host:/i.test(l));
  if (value !== null) s.lines.unshift(`Host: ${value}`);
}

const path = (p: string | ((ctx: Ctx) => string)) => (s: Spec, ctx: Ctx) => { s.target = typeof p === 'string' ? p : p(ctx); };
const line = (...ls: string[]) => (s: Spec) => { s.lines.push(...ls); };

const CONNECTION_TOKENS = ['close', 'keep-alive', 'content-length', 'transfer-encoding', 'host', 'x-fuzz-tag', 'te', 'upgrade', 'x-forwarded-for', 'x-real-ip', 'cookie', 'x-custom', 'close, content-length', 'keep-alive, transfer-encoding'];

const table: [string, number, (s: Spec, ctx: Ctx) => void][] = [
  // ---- Transfer-Encoding
  ['te:identity,chunked', 3, te('identity, chunked')],
  ['te:chunked,identity', 2, te('chunked, identity')],
  ['te:gzip,chunked', 2, te('gzip, chunked')],
  ['te:CHUNKED', 2, te('CHUNKED')],
  ['te:ows', 2, te('Transfer-Encoding:   chunked  ')],
  ['te:xchunked', 2, te('xchunked')],
  ['te:chunked-twice', 2, te('chunked', 'chunked')],
  ['te:two-lines', 2, te('identity', 'chunked')],
  ['te:trailing-comma', 2, te('chunked,')],
  ['te:leading-comma', 1, te(', chunked')],
  ['te:quoted', 1, te('"chunked"')],
  ['te:space-before-colon', 2, te('Transfer-Encoding : chunked')],
  ['te:fold', 2, te('Transfer-Encoding: identity', ' chunked')],
  ['te:vtab', 1, te('Transfer-Encoding:\x0bchunked')],
  ['te:nul', 1, te('Transfer-Encoding: chunked\x00')],
  ['te:underscore', 1, te('Transfer_Encoding: chunked')],
  ['te:http10', 2, (s, ctx) => { te('chunked')(s, ctx); s.version = 'HTTP/1.0'; }],
  ['te:with-cl', 3, (s, ctx) => { te('chunked')(s, ctx); s.lines.push(`Content-Length: ${s.content.length}`); }],
  ['te:cl-first', 2, (s, ctx) => { te('chunked')(s, ctx); s.lines.splice(1, 0, `Content-Length: ${s.content.length}`); }],
  ['te:with-cl0', 2, (s, ctx) => { te('chunked')(s, ctx); s.lines.push('Content-Length: 0'); }],
  // ---- Content-Length
  ['cl:dup-same', 2, cl((n) => [`Content-Length: ${n}`, `Content-Length: ${n}`])],
  ['cl:dup-diff', 2, cl((n) => [`Content-Length: ${n}`, `Content-Length: ${n + 7}`])],
  ['cl:list', 2, cl((n) => [`Content-Length: ${n}, ${n}`])],
  ['cl:plus', 1, cl((n) => [`Content-Length: +${n}`])],
  ['cl:lead0', 1, cl((n) => [`Content-Length: 00${n}`])],
  ['cl:ows', 1, cl((n) => [`Content-Length:   ${n}   `])],
  ['cl:hex', 1, cl((n) => [`Content-Length: 0x${hex(n)}`])],
  ['cl:neg', 1, cl(() => ['Content-Length: -1'])],
  ['cl:huge', 1, cl(() => ['Content-Length: 99999999999999999999'])],
  ['cl:space-before-colon', 2, cl((n) => [`Content-Length : ${n}`])],
  ['cl:fold', 1, cl((n) => ['Content-Length:', ` ${n}`])],
  ['cl:underscore', 1, cl((n) => [`Content_Length: ${n}`])],
  ['cl:short', 2, cl((n) => [`Content-Length: ${Math.floor(n / 2)}`])],
  ['cl:zero', 2, cl(() => ['Content-Length: 0'])],
  ['cl:long', 1, cl((n) => [`Content-Length: ${n + 5}`])],
  ['cl:get', 2, (s, ctx) => { s.method = 'GET'; s.content = smuggledRequest(ctx); frame(s, 'cl', ctx.r); }],
  // ---- chunks
  ['chunk:ext', 2, chunks((c) => `${hex(c.length)};foo=bar${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:ext-quoted', 1, chunks((c) => `${hex(c.length)};a="b c;d"${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:ext-ctl', 1, chunks((c) => `${hex(c.length)};a=\x01${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:ext-long', 1, chunks((c) => `${hex(c.length)};${'e'.repeat(3000)}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:size-0x', 2, chunks((c) => `0x${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:size-space', 2, chunks((c) => `${hex(c.length)} ${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:size-neg', 1, chunks((c) => `-${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:size-overflow', 2, chunks((c) => `1000000000000000${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:size-lead0', 1, chunks((c) => `000${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:size-upper', 1, chunks((c) => `${hex(c.length).toUpperCase()}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:lf-after-size', 2, chunks((c) => `${hex(c.length)}\n${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:lf-after-data', 2, chunks((c) => `${hex(c.length)}${CRLF}${c}\n0${CRLF}${CRLF}`)],
  ['chunk:data-longer', 2, chunks((c) => `${hex(Math.max(1, c.length >> 1))}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:data-shorter', 2, chunks((c) => `${hex(c.length + 4)}${CRLF}${c}${CRLF}0${CRLF}${CRLF}`)],
  ['chunk:no-crlf-after-data', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}0${CRLF}${CRLF}`)],
  ['chunk:no-last', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}`)],
  ['chunk:trailer', 2, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}X-Trailer: t${CRLF}${CRLF}`)],
  ['chunk:trailer-cl', 2, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}Content-Length: 50${CRLF}${CRLF}`)],
  ['chunk:trailer-te', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}`)],
  ['chunk:trailer-fold', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}X-T: a${CRLF} b${CRLF}${CRLF}`)],
  ['chunk:trailer-lf', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0${CRLF}X-T: a\n${CRLF}`)],
  ['chunk:last-ext', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0;x=y${CRLF}${CRLF}`)],
  ['chunk:many', 1, (s, ctx) => { withBody(s, ctx, 'chunked'); s.body = s.content.split('').map((ch) => `1${CRLF}${ch}${CRLF}`).join('') + `0${CRLF}${CRLF}`; }],
  ['chunk:zero-then-data', 1, chunks((c) => `0${CRLF}${CRLF}${c}`)],
  ['chunk:lf-terminator', 1, chunks((c) => `${hex(c.length)}${CRLF}${c}${CRLF}0\n\n`)],
  ['chunk:chunked-random', 1, (s, ctx) => { withBody(s, ctx, 'chunked'); s.body = chunk(s.content, ctx.r); }],
  // ---- Connection tokens (hop-by-hop removal must not take framing or Host with it)
  ...CONNECTION_TOKENS.map((tok): [string, number, (s: Spec, ctx: Ctx) => void] => [`conn:${tok}`, tok.includes('length') || tok.includes('encoding') || tok === 'host' ? 3 : 1, (s, ctx) => {
    if (/length|encoding/.test(tok)) withBody(s, ctx, tok.includes('length') ? 'cl' : 'chunked');
    s.lines.push(`Connection: ${tok}`);
  }]),
  ['conn:two-lines', 1, (s, ctx) => { withBody(s, ctx, 'cl'); s.lines.push('Connection: keep-alive', 'Connection: content-length'); }],
  ['conn:upper', 1, (s, ctx) => { withBody(s, ctx, 'cl'); s.lines.push('Connection: Content-Length'); }],
  // ---- Host
  ['host:upper', 1, (s, ctx) => setHost(s, ctx.host.toUpperCase())],
  ['host:port', 1, (s, ctx) => setHost(s, `${ctx.host}:80`)],
  ['host:trailing-dot', 1, (s, ctx) => setHost(s, `${ctx.host}.`)],
  ['host:missing', 2, (s) => setHost(s, null)],
  ['host:dup-same', 1, (s, ctx) => { s.lines.push(`Host: ${ctx.host}`); }],
  ['host:dup-other', 2, (s) => { s.lines.push('Host: other.fuzz'); }],
  ['host:empty', 1, (s) => setHost(s, '')],
  ['host:userinfo', 1, (s, ctx) => setHost(s, `evil@${ctx.host}`)],
  ['host:bad-port', 1, (s, ctx) => setHost(s, `${ctx.host}:99999`)],
  ['host:space', 1, (s, ctx) => setHost(s, ctx.host.replace('.', ' .'))],
  ['host:other', 1, (s) => setHost(s, 'other.fuzz')],
  ['host:ip', 1, (s) => setHost(s, '127.0.0.1')],
  ['host:absolute', 2, (s, ctx) => { s.target = `http://${ctx.host}${s.target}`; setHost(s, 'other.fuzz'); }],
  ['host:absolute-https', 1, (s, ctx) => { s.target = `https://${ctx.host}:443${s.target}`; }],
  ['host:absolute-nopath', 1, (s, ctx) => { s.target = `http://${ctx.host}`; }],
  ['host:absolute-userinfo', 1, (s, ctx) => { s.target = `http://evil@${ctx.host}${s.target}`; }],
  ['host:absolute-other', 1, (s) => { s.target = `http://other.fuzz${s.target}`; }],
  ['host:absolute-http10', 1, (s, ctx) => { s.target = `http://${ctx.host}${s.target}`; s.version = 'HTTP/1.0'; setHost(s, null); }],
  // ---- header syntax
  ['hdr:fold', 2, line('X-Folded: a', ' b')],
  ['hdr:space-before-colon', 2, line('X-A : 1')],
  ['hdr:no-colon', 2, line('NoColonHere')],
  ['hdr:nul', 1, line('X-A: a\x00b')],
  ['hdr:bare-cr', 2, line('X-A: a\rb')],
  ['hdr:bare-lf', 2, line('X-A: a\nX-B: b')],
  ['hdr:obs-text', 1, line('X-A: caf\xe9')],
  ['hdr:ctl', 1, line('X-A: a\x01b')],
  ['hdr:del', 1, line('X-A: a\x7fb')],
  ['hdr:underscore', 1, line('X_A: 1')],
  ['hdr:empty-name', 1, line(': 1')],
  ['hdr:bad-name', 1, line('X(A): 1')],
  ['hdr:8bit-name', 1, line('X\xe9: 1')],
  ['hdr:tab-before-colon', 1, line('X-A\t: 1')],
  ['hdr:long-12k', 1, line(`X-Long: ${'l'.repeat(12_000)}`)],
  ['hdr:huge-20k', 1, line(`X-Huge: ${'h'.repeat(20_000)}`)],
  ['hdr:many-120', 1, (s) => { for (let i = 0; i < 120; i++) s.lines.push(`X-M${i}: ${i}`); }],
  ['hdr:lf-line-ends', 2, (s) => { s.eol = '\n'; }],
  ['hdr:expect-100', 2, (s, ctx) => { withBody(s, ctx, 'cl'); s.lines.push('Expect: 100-continue'); }],
  ['hdr:expect-other', 1, line('Expect: fooo')],
  ['hdr:upgrade-websocket', 1, line('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==')],
  ['hdr:upgrade-h2c', 1, line('Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA')],
  ['hdr:te-trailers', 1, line('TE: trailers')],
  ['hdr:proxy-connection', 1, line('Proxy-Connection: keep-alive')],
  ['hdr:keep-alive', 1, line('Keep-Alive: timeout=5')],
  ['hdr:content-length-in-name', 1, line('Content-Length-X: 5')],
  // ---- request line
  ['rl:leading-crlf', 1, (s) => { s.leading = CRLF; }],
  ['rl:leading-lf', 1, (s) => { s.leading = '\n'; }],
  ['rl:double-space', 1, (s) => { s.sep = '  '; }],
  ['rl:tab', 1, (s) => { s.sep = '\t'; }],
  ['rl:trailing-space', 1, (s) => { s.version = 'HTTP/1.1 '; }],
  // ---- versions
  ['ver:1.0', 2, (s) => { s.version = 'HTTP/1.0'; }],
  ['ver:1.0-keep-alive', 1, (s) => { s.version = 'HTTP/1.0'; s.lines.push('Connection: keep-alive'); }],
  ['ver:0.9', 2, (s) => { s.version = 'HTTP/0.9'; }],
  ['ver:none', 2, (s) => { s.version = ''; }],
  ['ver:2.0', 2, (s) => { s.version = 'HTTP/2.0'; }],
  ['ver:1.2', 1, (s) => { s.version = 'HTTP/1.2'; }],
  ['ver:lower', 1, (s) => { s.version = 'http/1.1'; }],
  ['ver:10.1', 1, (s) => { s.version = 'HTTP/10.1'; }],
  // ---- methods
  ['method:lower', 1, (s) => { s.method = s.method.toLowerCase(); }],
  ['method:unknown', 2, (s) => { s.method = 'FOO'; }],
  ['method:long', 1, (s) => { s.method = 'X'.repeat(40); }],
  ['method:TRACE', 1, (s) => { s.method = 'TRACE'; }],
  ['method:CONNECT', 1, (s, ctx) => { s.method = 'CONNECT'; s.target = `${ctx.host}:80`; }],
  ['method:PRI', 1, (s) => { s.method = 'PRI'; }],
  ['method:PROPFIND', 1, (s) => { s.method = 'PROPFIND'; }],
  ['method:M-SEARCH', 1, (s) => { s.method = 'M-SEARCH'; }],
  // ---- paths
  ['path:dot', 2, path('/a/./b')],
  ['path:dotdot', 2, path('/a/../b')],
  ['path:dotdot-root', 2, path('/../b')],
  ['path:dotdot-many', 1, path('/a/../../../b')],
  ['path:dotdot-end', 1, path('/a/b/..')],
  ['path:dotdot-semicolon', 3, path('/public/..;/admin')],
  ['path:semicolon', 2, path('/a;jsessionid=1/b')],
  ['path:pct-dotdot', 2, path('/a/%2e%2e/b')],
  ['path:pct-dotdot-upper', 1, path('/a/%2E%2E/%2E/b')],
  ['path:pct-slash', 2, path('/a%2fb')],
  ['path:pct-backslash', 3, path('/public/..%5cadmin')],
  ['path:backslash', 2, path('/public/..\\admin')],
  ['path:pct-nul', 2, path('/a%00b')],
  ['path:double-slash', 2, path('//a//b')],
  ['path:fragment', 2, path('/a#frag')],
  ['path:pct-bad', 2, path('/a%zz')],
  ['path:pct-partial', 1, path('/a%4')],
  ['path:pct-unreserved', 1, path('/%61%62%7E')],
  ['path:pct-lower', 1, path('/a%3ab')],
  ['path:pct-space', 1, path('/a%20b')],
  ['path:utf8-raw', 1, path('/caf\xc3\xa9')],
  ['path:star', 1, path('*')],
  ['path:no-slash', 1, path('a/b')],
  ['path:long-8k', 1, path(`/${'p'.repeat(8_000)}`)],
  ['path:query-pct-bad', 1, path('/q?a=%zz')],
  ['path:query-hash', 1, path('/q?a#b')],
  ['path:query-slashdot', 1, path('/q?/../x')],
  ['path:plus', 1, path('/a+b')],
  // ---- bodies and timing
  ['misc:slow', 2, line('X-Fuzz-Delay: 15')],
  ['misc:get-with-body', 1, (s, ctx) => { s.method = 'GET'; s.content = 'abc'; frame(s, ctx.r.next() < 0.5 ? 'cl' : 'chunked', ctx.r); }],
];

export const FEATURES: readonly Feature[] = table.map(([name, weight, apply]) => ({ name, weight, apply }));
