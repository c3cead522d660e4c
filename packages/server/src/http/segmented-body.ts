import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** A part of an answer: a byte range of the open file, or bytes of its own. */
export type Segment =
  | { kind: 'file'; start: number; end: number }
  | { kind: 'bytes'; bytes: Buffer };

/** Large reads keep the event loop free while ~90 MB stream to many clients at once. */
const READ_BYTES = 256 * 1024;

/**
 * An answer made of segments of one open file and bytes between them. Reading through one open
 * handle keeps the answer consistent even if the file is replaced meanwhile; the body owns the
 * handle and closes it once sent (or discarded).
 */
export class SegmentedBody {
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly segments: Segment[],
  ) {}

  /**
   * Writes every segment to `response` and ends it. Resolves true once all is written, false if
   * the response closed first (the client left); rejects if the file cannot be read.
   *
   * File segments are read into two buffers that take turns, and a buffer is read into again
   * only after the response has called back for its previous chunk (the bytes are then in the
   * kernel, or the write failed): a download holds at most two chunks whatever its size, and
   * makes no garbage. A new buffer per chunk made the server run a full garbage collection for
   * every 64 MB sent (V8 counts buffer bytes as external memory and collects when they grow),
   * which cost more CPU than the sending itself once the server's heap was tens of MB.
   */
  async sendTo(response: Writable): Promise<boolean> {
    const buffers: [Buffer, Buffer] = [
      Buffer.allocUnsafe(READ_BYTES),
      Buffer.allocUnsafe(READ_BYTES),
    ];
    const writes: [Promise<boolean>, Promise<boolean>] = [
      Promise.resolve(true),
      Promise.resolve(true),
    ];
    let turn: 0 | 1 = 0;
    const left = new Promise<false>((resolve) => {
      if (response.destroyed) resolve(false);
      response.once('close', () => resolve(false));
    });
    const write = (chunk: Buffer) =>
      new Promise<boolean>((resolve) => response.write(chunk, (error) => resolve(!error)));
    try {
      for (const chunk of this.chunks()) {
        if (!(await Promise.race([writes[turn], left]))) return false;
        const bytes = chunk.kind === 'bytes' ? chunk.bytes : await this.read(buffers[turn], chunk);
        if (response.destroyed) return false;
        writes[turn] = write(bytes);
        turn = turn === 0 ? 1 : 0;
      }
      if (!(await Promise.race([Promise.all(writes), left]))) return false;
      response.end();
      return true;
    } finally {
      await this.close();
    }
  }

  /** Closes the file without sending it (an answer that will not be sent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => {});
  }

  /** The segments cut into reads of at most READ_BYTES; bytes segments as they are. */
  private *chunks(): Generator<Segment> {
    for (const segment of this.segments) {
      if (segment.kind === 'bytes') {
        yield segment;
        continue;
      }
      for (let start = segment.start; start < segment.end; start += READ_BYTES) {
        yield { kind: 'file', start, end: Math.min(segment.end, start + READ_BYTES) };
      }
    }
  }

  /** Reads `range` (at most READ_BYTES) into `target`. */
  private async read(target: Buffer, range: { start: number; end: number }): Promise<Buffer> {
    const length = range.end - range.start;
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, done, length - done, range.start + done);
      if (bytesRead === 0) throw new Error('the file shrank while it was being sent');
      done += bytesRead;
    }
    return target.subarray(0, length);
  }
}

/**
 * Sends `body` as the answer, with the status and headers set on `reply`. It is written here
 * rather than handed to Fastify as a stream, so that its buffers are used again (see
 * `SegmentedBody`); the onResponse hooks (metrics, the request log) still run when it finishes.
 */
export async function sendSegmented(reply: FastifyReply, body: SegmentedBody): Promise<void> {
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value);
  }
  reply.raw.writeHead(reply.statusCode);
  try {
    await body.sendTo(reply.raw);
  } catch (error) {
    reply.log.error({ err: error }, 'a file could not be read to the end while it was sent');
    reply.raw.destroy();
  }
}
