import type { Readable } from 'node:stream';

/**
 * Sees each chunk of a request body as it passes to the upstream, without
 * starting the flow itself: a 'data' listener attached while the body is
 * still paused would start it, and chunks would go by before the upstream
 * connection listens (a request queued for a pool connection). So the tap
 * goes on when the upstream starts reading.
 */
export function tapBody(body: Readable, onChunk: (chunk: Buffer) => void): void {
  if (body.readableFlowing === true) body.on('data', onChunk);
  else body.once('resume', () => body.on('data', onChunk));
}
