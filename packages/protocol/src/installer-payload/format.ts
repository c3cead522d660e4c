import { crc32 } from 'node:zlib';
import { readPeLayout } from './pe';

/**
 * The installer payload block, as README.md in this folder describes it:
 *
 *   MARKER | ZIP | TRAILER | up to 7 zero bytes of padding
 *
 * The trailer at the end says how long the ZIP is, so a reader finds the last payload of a file
 * from its last bytes, without scanning 90 MB for the marker.
 */
export const PAYLOAD_MARKER = '---OPTRALIS_PAYLOAD---';
export const PAYLOAD_END = '--OPTRALIS-END--';
export const PAYLOAD_FORMAT_VERSION = 1;
/** A payload holds a few certificates and a token; anything bigger is not one of ours. */
export const MAX_PAYLOAD_ZIP_BYTES = 1024 * 1024;

const MARKER = Buffer.from(PAYLOAD_MARKER, 'ascii');
const END = Buffer.from(PAYLOAD_END, 'ascii');
/** ZIP length (u32), CRC-32 of the ZIP (u32), format version (u16), reserved (u16), END. */
export const TRAILER_BYTES = 12 + END.length;
/** How many bytes from a region's end hold the trailer, whatever the padding. */
export const TAIL_BYTES = TRAILER_BYTES + 7;
/** First bytes of a file that always hold its PE headers. */
export const HEAD_BYTES = 64 * 1024;

/** A payload is present but cannot be used: the file is incomplete or was altered. */
export class PayloadDamagedError extends Error {
  constructor(detail: string) {
    super(`the installer payload is damaged (${detail}); download the installer again`);
    this.name = 'PayloadDamagedError';
  }
}

/** The payload block for `zip`, padded with zeros to a multiple of `align` bytes. */
export function encodePayloadBlock(zip: Uint8Array, align = 1): Buffer {
  if (zip.length > MAX_PAYLOAD_ZIP_BYTES) throw new RangeError('the payload ZIP is too large');
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32LE(zip.length, 0);
  trailer.writeUInt32LE(crc32(zip), 4);
  trailer.writeUInt16LE(PAYLOAD_FORMAT_VERSION, 8);
  END.copy(trailer, 12);
  const length = MARKER.length + zip.length + TRAILER_BYTES;
  const padding = (align - (length % align)) % align;
  return Buffer.concat([MARKER, zip, trailer, Buffer.alloc(padding)]);
}

/** Random access to a file (or anything) of a known size; reads never go past `size`. */
export interface ByteSource {
  size: number;
  read(position: number, length: number): Uint8Array;
}

interface Trailer {
  /** Where the block starts and where its trailer ends, as offsets in the source. */
  start: number;
  zipLength: number;
  crc: number;
}

/** The trailer of a block whose region ends at `end`, allowing up to 7 bytes of zero padding. */
function trailerEndingAt(source: ByteSource, end: number): Trailer | undefined {
  const from = Math.max(0, end - TAIL_BYTES);
  const tail = Buffer.from(source.read(from, end - from));
  for (let padding = 0; padding <= 7; padding += 1) {
    const endAt = tail.length - padding;
    if (endAt < TRAILER_BYTES) break;
    if (padding > 0 && tail[endAt] !== 0) break;
    if (!tail.subarray(endAt - END.length, endAt).equals(END)) continue;
    const trailer = tail.subarray(endAt - TRAILER_BYTES, endAt);
    const zipLength = trailer.readUInt32LE(0);
    const version = trailer.readUInt16LE(8);
    if (version !== PAYLOAD_FORMAT_VERSION) {
      throw new PayloadDamagedError(`format version ${version} is not one this agent reads`);
    }
    if (zipLength > MAX_PAYLOAD_ZIP_BYTES) throw new PayloadDamagedError('impossible length');
    const trailerStart = from + endAt - TRAILER_BYTES;
    return {
      start: trailerStart - zipLength - MARKER.length,
      zipLength,
      crc: trailer.readUInt32LE(4),
    };
  }
  return undefined;
}

function readBlock(source: ByteSource, trailer: Trailer): Uint8Array {
  if (trailer.start < 0) throw new PayloadDamagedError('the block is cut short');
  const block = Buffer.from(source.read(trailer.start, MARKER.length + trailer.zipLength));
  if (!block.subarray(0, MARKER.length).equals(MARKER)) {
    throw new PayloadDamagedError('the marker is not where the trailer says');
  }
  const zip = block.subarray(MARKER.length);
  if (crc32(zip) !== trailer.crc) throw new PayloadDamagedError('checksum mismatch');
  return zip;
}

/** Whether the bytes from `at` to the end of the file begin the marker (or all of it). */
function startsWithMarker(source: ByteSource, at: number): boolean {
  const length = Math.min(MARKER.length, source.size - at);
  if (length <= 0) return false;
  return Buffer.from(source.read(at, length)).equals(MARKER.subarray(0, length));
}

/**
 * The ZIP of the last payload of a file, undefined when it has none. Throws PayloadDamagedError
 * when a payload is there but incomplete or altered, and when the file is shorter than its own
 * headers say (a download cut short).
 *
 * Where it looks: the end of the file (a payload appended to an unsigned executable, or inside
 * a certificate table that ends the file); then, for a PE file, the end of its certificate
 * table. A file cut inside its payload is recognized by the marker just after the image.
 */
export function locatePayload(source: ByteSource): Uint8Array | undefined {
  const layout = readPeLayout(source.read(0, Math.min(source.size, HEAD_BYTES)));
  if (layout && layout.imageEnd > source.size) {
    throw new PayloadDamagedError('the file is shorter than its headers say');
  }
  const table = layout?.certificateTable;
  const tableEnd = table ? table.offset + table.size : 0;
  if (tableEnd > source.size) {
    throw new PayloadDamagedError('the file is shorter than its signature table says');
  }

  const atEnd = trailerEndingAt(source, source.size);
  if (atEnd) return readBlock(source, atEnd);
  if (!layout) return undefined;

  if (table) {
    const inTable = trailerEndingAt(source, tableEnd);
    if (inTable && inTable.start >= table.offset) return readBlock(source, inTable);
    if (startsWithMarker(source, tableEnd)) {
      throw new PayloadDamagedError('the end of the payload is missing');
    }
  }
  // An appended payload starts at the next 8-byte boundary after the image.
  const appendedAt = Math.ceil(layout.imageEnd / 8) * 8;
  if (startsWithMarker(source, appendedAt)) {
    throw new PayloadDamagedError('the end of the payload is missing');
  }
  return undefined;
}
