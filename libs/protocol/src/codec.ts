import { Packr } from 'msgpackr';

/**
 * The wire codec: msgpack with records (structures sent once per message and
 * decoded into monomorphic objects; about 8x faster to decode than plain
 * msgpack for our repetitive route and endpoint lists).
 */
export interface Codec {
  encode(value: unknown): Uint8Array;
  decode(data: Uint8Array): unknown;
}

export function createMsgpackCodec(): Codec {
  const packr = new Packr({ useRecords: true, moreTypes: false });
  return {
    encode: (value) => packr.pack(value),
    decode: (data) => packr.unpack(data),
  };
}

export const msgpackCodec: Codec = createMsgpackCodec();
