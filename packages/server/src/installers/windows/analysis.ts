import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import {
  certificateEntries,
  HEAD_BYTES,
  type PeLayout,
  readPeLayout,
} from '@optralis/protocol/installer-payload';
import { WordSum } from './checksum';

/** A signature table larger than this is not one osslsigncode or signtool would write. */
const MAX_CERTIFICATE_TABLE_BYTES = 1024 * 1024;
const READ_BYTES = 1024 * 1024;

/** What personalizing needs to know about a base executable, learnt in one pass over it. */
export interface BaseAnalysis {
  file: string;
  /** Device, inode, size and modification time: a replaced file gets a new analysis. */
  identity: string;
  size: number;
  sha256: string;
  layout: PeLayout;
  /** The header bytes, [0, headersEnd): the checksum and the table size are rewritten here. */
  head: Buffer;
  /** Present when the file is Authenticode-signed (it has a certificate table). */
  signed?: {
    /** File offset of the last WIN_CERTIFICATE entry, which the payload extends. */
    entryOffset: number;
    /** The bytes from that entry to the end of the table. */
    entryBytes: Buffer;
    tableEnd: number;
  };
  /**
   * The bytes every personalized copy shares unchanged and at the same offset, [start, end):
   * the part worth compressing once. `crc` is its CRC-32.
   */
  fixed: { start: number; end: number; crc: number };
  /** The checksum words of the file, without the fields personalizing rewrites. */
  words: WordSum;
}

/** Why a file cannot serve as the base; the fallback ZIP is served instead. */
export class UnusableBaseError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'UnusableBaseError';
  }
}

export function identityOf(stat: { dev: number; ino: number; size: number; mtimeMs: number }) {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const bytes = Buffer.alloc(length);
  const { bytesRead } = await handle.read(bytes, 0, length, position);
  return bytes.subarray(0, bytesRead);
}

/** Reads the PE headers and the signature table, and checks they describe this file. */
async function readStructure(handle: fs.FileHandle, file: string, size: number) {
  const layout = readPeLayout(await readAt(handle, 0, Math.min(size, HEAD_BYTES)));
  if (!layout) throw new UnusableBaseError(file, 'not a Windows executable');
  if (layout.imageEnd > size) throw new UnusableBaseError(file, 'shorter than its headers say');
  if (layout.headersEnd > HEAD_BYTES || layout.checksumOffset + 4 > layout.headersEnd) {
    throw new UnusableBaseError(file, 'headers this server does not handle');
  }
  const head = await readAt(handle, 0, layout.headersEnd);
  const table = layout.certificateTable;
  if (!table) return { layout, head, signed: undefined };

  const tableEnd = table.offset + table.size;
  if (tableEnd > size || table.size > MAX_CERTIFICATE_TABLE_BYTES) {
    throw new UnusableBaseError(file, 'its signature table is cut short or too large');
  }
  const bytes = await readAt(handle, table.offset, table.size);
  const last = certificateEntries(bytes).at(-1);
  const entryOffset = table.offset + (last?.offset ?? 0);
  if (!last || entryOffset < layout.headersEnd) {
    throw new UnusableBaseError(file, 'its signature table holds no readable entry');
  }
  const entryBytes = bytes.subarray(last.offset);
  return { layout, head, signed: { entryOffset, entryBytes, tableEnd } };
}

/**
 * Analyzes a base executable: its structure, SHA-256 (which names its release), checksum words
 * and the CRC-32 of the shared part. One sequential read of the file, in 1 MiB steps.
 */
export async function analyzeBase(file: string): Promise<BaseAnalysis> {
  const handle = await fs.open(file, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new UnusableBaseError(file, 'not a regular file');
    const size = stat.size;
    const { layout, head, signed } = await readStructure(handle, file, size);
    const fixed = { start: layout.headersEnd, end: signed ? signed.entryOffset : size, crc: 0 };

    const hash = crypto.createHash('sha256');
    const words = new WordSum();
    const buffer = Buffer.alloc(READ_BYTES);
    for (let position = 0; position < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) throw new UnusableBaseError(file, 'changed while it was read');
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      words.add(chunk, position);
      const from = Math.max(fixed.start, position) - position;
      const to = Math.min(fixed.end, position + bytesRead) - position;
      if (to > from) fixed.crc = crc32(chunk.subarray(from, to), fixed.crc);
      position += bytesRead;
    }

    words.remove(
      head.subarray(layout.checksumOffset, layout.checksumOffset + 4),
      layout.checksumOffset,
    );
    const analysis: BaseAnalysis = {
      file,
      identity: identityOf(stat),
      size,
      sha256: hash.digest('hex'),
      layout,
      head,
      fixed,
      words,
    };
    if (signed) {
      const directory = layout.certificateDirectoryOffset as number;
      words.remove(head.subarray(directory + 4, directory + 8), directory + 4);
      words.remove(signed.entryBytes.subarray(0, 4), signed.entryOffset);
      analysis.signed = signed;
    }
    return analysis;
  } finally {
    await handle.close();
  }
}
