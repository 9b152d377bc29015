// How values become bytes on the wire. JSON for now; a binary codec (msgpack)
// can be swapped in per transport without touching actors.
export interface Codec {
  encode(value: unknown): Uint8Array;
  decode(data: Uint8Array): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * JSON codec. `undefined` (an ask handler that returns nothing) encodes to an
 * empty payload and an empty payload decodes back to `undefined`, since JSON
 * has no representation for it.
 */
export const jsonCodec: Codec = {
  encode(value: unknown): Uint8Array {
    return value === undefined ? EMPTY : encoder.encode(JSON.stringify(value));
  },
  decode(data: Uint8Array): unknown {
    return data.length === 0 ? undefined : JSON.parse(decoder.decode(data));
  },
};
