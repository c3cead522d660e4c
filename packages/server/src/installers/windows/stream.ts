import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Segment } from './personalize';

/** Large reads keep the event loop free while ~90 MB stream to many clients at once. */
const READ_BYTES = 256 * 1024;

async function* segmentBytes(handle: FileHandle, segments: Segment[]): AsyncGenerator<Buffer> {
  for (const segment of segments) {
    if (segment.kind === 'bytes') {
      yield segment.bytes;
      continue;
    }
    for (let position = segment.start; position < segment.end; ) {
      const length = Math.min(READ_BYTES, segment.end - position);
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      if (bytesRead === 0) throw new Error('the file shrank while it was being sent');
      yield chunk.subarray(0, bytesRead);
      position += bytesRead;
    }
  }
}

/**
 * The segments as one byte stream, reading `file` segments from `handle` as the client takes
 * them (backpressure: at most one read ahead), and closing the handle however the stream ends.
 * Reading through one open handle keeps the answer consistent even if the file is replaced.
 */
export function streamSegments(handle: FileHandle, segments: Segment[]): Readable {
  const stream = Readable.from(segmentBytes(handle, segments), {
    objectMode: false,
    highWaterMark: READ_BYTES,
  });
  let closed = false;
  stream.once('close', () => {
    if (closed) return;
    closed = true;
    handle.close().catch(() => {});
  });
  return stream;
}
