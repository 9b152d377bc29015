import fs from 'node:fs';
import path from 'node:path';
import { decodeSnapshotContent, msgpackCodec, type EndpointsDeltaMessage, type RoutesDeltaMessage, type Signable, type SnapshotContent, type SnapshotMessage } from '@meshgate/protocol';
import { openDelta } from './accept-rules.ts';

/** What a node keeps on disk: the last full snapshot it served and the endpoint and route deltas applied on top, all as signed. */
export interface LastKnownGoodRecord {
  snapshot: SnapshotMessage;
  deltas: (EndpointsDeltaMessage | RoutesDeltaMessage)[];
}

/** Past this many deltas the record stops growing; the node still serves, a restart resumes at the older version and resyncs. */
const MAX_DELTAS = 1_000;

/**
 * The node's last-known-good snapshot in `--state-dir`: written after every
 * worker applied a version (ACK), read at start before NATS is asked
 * anything, so a node restarted while NATS and the config service are down
 * serves what it served before. Written to a temp file and renamed, so a
 * crash mid-write leaves the previous record whole. Messages are stored as
 * received and verified again on load (signature, hash).
 */
export class LastKnownGood {
  readonly file: string;
  #record: LastKnownGoodRecord | undefined;

  constructor(stateDir: string) {
    fs.mkdirSync(stateDir, { recursive: true });
    this.file = path.join(stateDir, 'last-known-good.snapshot');
  }

  load(): LastKnownGoodRecord | undefined {
    let bytes: Buffer;
    try { bytes = fs.readFileSync(this.file); } catch { return undefined; }
    const r = msgpackCodec.decode(bytes) as LastKnownGoodRecord;
    if (!r?.snapshot || !Array.isArray(r.deltas)) throw new Error(`${this.file} is not a meshgate snapshot record: delete it`);
    this.#record = r;
    return r;
  }

  /** Deltas on top of the stored snapshot. */
  get deltaCount(): number {
    return this.#record?.deltas.length ?? 0;
  }

  saveSnapshot(snapshot: SnapshotMessage): void {
    this.#write({ snapshot, deltas: [] });
  }

  saveDelta(delta: EndpointsDeltaMessage | RoutesDeltaMessage): void {
    const r = this.#record;
    if (!r || r.deltas.length >= MAX_DELTAS) return;
    const last = r.deltas.at(-1)?.version ?? r.snapshot.version;
    if (delta.base !== last) return;
    this.#write({ snapshot: r.snapshot, deltas: [...r.deltas, delta] });
  }

  #write(r: LastKnownGoodRecord): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, msgpackCodec.encode(r));
    fs.renameSync(tmp, this.file);
    this.#record = r;
  }
}

/**
 * The version a record holds: its snapshot opened (`open`: verified and
 * unpacked) and each delta verified, applied and checked against its hash.
 * Throws with the reason to refuse the record.
 */
export function replayRecord(r: LastKnownGoodRecord, open: (s: SnapshotMessage) => Uint8Array, verify: (m: Signable) => void): { version: number; hash: string; packed: Uint8Array; content?: SnapshotContent } {
  let packed = open(r.snapshot);
  let version = r.snapshot.version;
  let hash = r.snapshot.hash;
  let content: SnapshotContent | undefined;
  for (const d of r.deltas) {
    content ??= decodeSnapshotContent<SnapshotContent>(packed);
    ({ packed, content } = openDelta(d, content, verify));
    version = d.version;
    hash = d.hash;
  }
  return { version, hash, packed, ...(content ? { content } : {}) };
}
