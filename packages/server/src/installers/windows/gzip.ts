import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { BaseAnalysis } from './analysis';
import { crc32Combine } from './crc32-combine';
import type { PersonalizedLayout, Segment } from './personalize';

/**
 * gzip without compressing the base per request. A DEFLATE stream may be cut into parts made by
 * separate compressors when each part but the last ends with a sync flush (byte-aligned, no
 * final block) and none refers back into another. So the part every personalized copy shares
 * is compressed once and kept on disk; per request only the headers and the payload (a few
 * KiB) are compressed, and the gzip trailer's CRC-32 is combined from the parts' (RFC 1951
 * section 3.2.3, RFC 1952). One gzip member: clients that stop after the first member still get
 * the whole file.
 */

/** A gzip header: deflate, no name, no time, unknown OS (RFC 1952 section 2.3). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
/** An empty final block with fixed Huffman codes: ends the DEFLATE stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
/** Per-request parts larger than this are not compressed here; the file is sent as is. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const LEVEL = 6;

const deflateRaw = promisify(zlib.deflateRaw) as (
  data: Buffer,
  options: zlib.ZlibOptions,
) => Promise<Buffer>;

/** One part of a gzip answer: bytes, or a range of the precompressed file. */
export type GzipSegment = Segment;

export interface GzipLayout {
  /** The precompressed shared part; the `file` segments below are ranges of it. */
  cacheFile: string;
  segments: GzipSegment[];
  length: number;
}

function cacheName(base: BaseAnalysis): string {
  return `${base.sha256}-${base.fixed.start}-${base.fixed.end}-l${LEVEL}.deflate`;
}

/**
 * Keeps one precompressed shared part per base in `dir`, made once (in zlib's thread pool, not
 * on the event loop) and shared by every request that waits for it.
 */
export class DeflateCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly dir: string) {}

  /** The path of the precompressed shared part of `base`, making it first if needed. */
  prepare(base: BaseAnalysis): Promise<string> {
    const file = path.join(this.dir, cacheName(base));
    let promise = this.pending.get(file);
    if (!promise) {
      promise = this.make(base, file);
      this.pending.set(file, promise);
      promise.catch(() => this.pending.delete(file));
    }
    return promise;
  }

  private async make(base: BaseAnalysis, file: string): Promise<string> {
    if (fs.existsSync(file)) return file;
    fs.mkdirSync(this.dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    try {
      await pipeline(
        fs.createReadStream(base.file, {
          start: base.fixed.start,
          end: base.fixed.end - 1,
          highWaterMark: 1024 * 1024,
        }),
        zlib.createDeflateRaw({ level: LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
        fs.createWriteStream(partial),
      );
      fs.renameSync(partial, file);
    } finally {
      fs.rmSync(partial, { force: true });
    }
    this.removeOthers(path.basename(file));
    return file;
  }

  /** Parts of earlier bases are of no further use. */
  private removeOthers(keep: string): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (name !== keep && name.endsWith('.deflate')) {
        fs.rmSync(path.join(this.dir, name), { force: true });
      }
    }
  }
}

async function compress(bytes: Buffer): Promise<Buffer> {
  return deflateRaw(bytes, { level: LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/**
 * The gzip answer for a personalized layout, undefined when a per-request part would be too
 * large to compress here. `readBase` reads a range of the base (its small parts after the
 * signature table, if any).
 */
export async function gzipLayout(
  base: BaseAnalysis,
  personalized: PersonalizedLayout,
  cacheFile: string,
  readBase: (start: number, end: number) => Promise<Buffer>,
): Promise<GzipLayout | undefined> {
  const { fixed } = base;
  const before: Buffer[] = [];
  const after: Buffer[] = [];
  let sharedSeen = false;
  let small = 0;
  for (const segment of personalized.segments) {
    if (segment.kind === 'file' && segment.start === fixed.start && segment.end === fixed.end) {
      sharedSeen = true;
      continue;
    }
    const size = segment.kind === 'bytes' ? segment.bytes.length : segment.end - segment.start;
    small += size;
    if (small > MAX_REQUEST_BYTES) return undefined;
    const bytes =
      segment.kind === 'bytes' ? segment.bytes : await readBase(segment.start, segment.end);
    (sharedSeen ? after : before).push(bytes);
  }

  const head = Buffer.concat(before);
  const tail = Buffer.concat(after);
  let crc = zlib.crc32(head);
  const segments: GzipSegment[] = [
    { kind: 'bytes', bytes: GZIP_HEADER },
    { kind: 'bytes', bytes: await compress(head) },
  ];
  if (sharedSeen) {
    crc = crc32Combine(crc, fixed.crc, fixed.end - fixed.start);
    segments.push({ kind: 'file', start: 0, end: fs.statSync(cacheFile).size });
  }
  crc = zlib.crc32(tail, crc);
  segments.push({ kind: 'bytes', bytes: await compress(tail) });

  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(personalized.length % 2 ** 32, 4);
  segments.push({ kind: 'bytes', bytes: Buffer.concat([FINAL_BLOCK, trailer]) });

  const length = segments.reduce(
    (sum, segment) =>
      sum + (segment.kind === 'bytes' ? segment.bytes.length : segment.end - segment.start),
    0,
  );
  return { cacheFile, segments, length };
}
