/**
 * Node's own llhttp binding (the C++ parser node:http runs on), typed for
 * the few calls the data plane makes. Using it directly, instead of through
 * node:http's or undici's objects, lets a connection hand its socket to the
 * parser (`consume`): reads go from libuv into llhttp without a JS Buffer,
 * stream or event per read, and JS is called once per parsed element.
 * The parser is the one node:http ships, so its request-smuggling hardening
 * (strict Content-Length / Transfer-Encoding rules, no lenient flags) holds.
 */
import { createRequire } from 'node:module';

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number, connections?: unknown): void;
  /** Bytes consumed, or an Error with `code` (HPE_*), `bytesParsed`. */
  execute(data: Buffer): number | ParseError;
  finish(): number | ParseError | undefined;
  consume(handle: unknown): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  pause(): void;
  resume(): void;
  remove(): void;
  free(): void;
  close(): void;
  [kOnHeaders: number]: unknown;
}

export interface ParseError extends Error { code: string; bytesParsed: number; reason?: string }

interface HTTPParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kOnTimeout: number;
}

const common = createRequire(import.meta.url)('_http_common') as { HTTPParser: HTTPParserClass; methods: string[] };

export const HTTPParser: HTTPParserClass = common.HTTPParser;
/**
 * llhttp's HPE_PAUSED: returned from kOnHeadersComplete it stops the parser
 * right after that head; execute() then returns an error with this code and
 * `bytesParsed`, and the parser carries on after `resume()`.
 */
export const HPE_PAUSED = 21;

/** llhttp method index -> name (the `method` argument of kOnHeadersComplete). */
export const METHODS: readonly string[] = common.methods;

/**
 * (versionMajor, versionMinor, rawHeaders, method, url, statusCode,
 * statusMessage, upgrade, shouldKeepAlive) -> 0, or 1 to skip the body
 * (a response to HEAD), or 2 (upgrade: stop parsing).
 */
export type OnHeadersComplete = (
  versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number, url: string | undefined,
  statusCode: number, statusMessage: string, upgrade: boolean, shouldKeepAlive: boolean,
) => number;

/**
 * The socket's handle when the native parser can read from it directly (a
 * StreamBase: TCP, and TLS too, as node:http checks), marked as taken;
 * undefined when it cannot (or another parser has it).
 */
export function consumableHandle(socket: { _handle?: unknown }): unknown {
  const h = socket._handle as { isStreamBase?: boolean; _consumed?: boolean } | null | undefined;
  if (!h || !h.isStreamBase || h._consumed) return undefined;
  h._consumed = true;
  return h;
}

type ReadHandle = { readStart(): number; readStop(): number; reading: boolean };

/**
 * Stops or restarts reading a socket (backpressure). A socket whose handle
 * the native parser consumes is paused at the handle: socket.pause() would
 * not stop libuv from feeding the parser.
 */
export function setReading(socket: { pause(): unknown; resume(): unknown }, consumed: boolean, on: boolean): void {
  const h = (socket as unknown as { _handle?: ReadHandle })._handle;
  if (consumed && h) {
    h.reading = on;
    if (on) h.readStart(); else h.readStop();
  } else if (on) socket.resume();
  else socket.pause();
}
