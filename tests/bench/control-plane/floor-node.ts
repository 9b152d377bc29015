/**
 * One process of the floor (floor.ts): a NATS connection and nothing else.
 * Each message on `floor.change` is answered with a 120-byte ACK on
 * `floor.ack`: one wake-up, one read and one write, as a proxy node's worker
 * does for a route delta, without any of meshgate.
 */
import { connect } from '@nats-io/transport-node';

const nc = await connect({ servers: process.argv[2]!, name: `floor-${process.argv[3]}` });
const ack = new Uint8Array(120);
nc.subscribe('floor.change', { callback: () => nc.publish('floor.ack', ack) });
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => { void nc.close().finally(() => process.exit(0)); });
