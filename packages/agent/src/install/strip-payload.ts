import {
  certificateEntries,
  HEAD_BYTES,
  locatePayload,
  PAYLOAD_MARKER,
  readPeLayout,
  TRAILER_BYTES,
} from '@optralis/protocol/installer-payload';

const MARKER = Buffer.from(PAYLOAD_MARKER, 'ascii');

/** The PE checksum (Microsoft's CheckSumMappedFile): 16-bit sum with carries, plus the length. */
export function peChecksum(file: Buffer, checksumOffset: number): number {
  let sum = 0;
  for (let offset = 0; offset < file.length; offset += 2) {
    if (offset === checksumOffset || offset === checksumOffset + 2) continue;
    sum += file[offset] ?? 0;
    sum += (file[offset + 1] ?? 0) << 8;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + file.length) >>> 0;
}

/** Where the payload block starts and how long it is (padding included), in `file`. */
function findBlock(
  file: Buffer,
  zip: Uint8Array,
  ends: number[],
): { start: number; length: number } | undefined {
  const core = MARKER.length + zip.length + TRAILER_BYTES;
  for (const end of ends) {
    for (let padding = 0; padding <= 7; padding += 1) {
      const start = end - padding - core;
      if (start < 0) continue;
      if (!file.subarray(start, start + MARKER.length).equals(MARKER)) continue;
      const body = file.subarray(start + MARKER.length, start + MARKER.length + zip.length);
      if (body.equals(zip)) return { start, length: core + padding };
    }
  }
  return undefined;
}

/**
 * The executable without its personalized installer payload (the token, or the certificate
 * and key): what the program folder gets, readable by every user. Appended to an unsigned file,
 * the block is cut off. Inside the certificate table of a signed one, the block is taken out
 * and the table's size, its last entry's length and the checksum are put back as they were:
 * the result is the signed release, byte for byte, and its signature still verifies. Throws
 * PayloadDamagedError for a damaged payload, as reading it does.
 */
export function withoutPayload(file: Buffer): Buffer {
  const source = {
    size: file.length,
    read: (at: number, length: number) => file.subarray(at, at + length),
  };
  const zip = locatePayload(source);
  if (!zip) return file;
  const layout = readPeLayout(file.subarray(0, HEAD_BYTES));
  const table = layout?.certificateTable;
  const tableEnd = table ? table.offset + table.size : undefined;
  const block = findBlock(
    file,
    zip,
    tableEnd !== undefined ? [file.length, tableEnd] : [file.length],
  );
  if (!block) return file;

  const inTable =
    table !== undefined &&
    tableEnd !== undefined &&
    block.start >= table.offset &&
    block.start < tableEnd;
  let result: Buffer;
  if (inTable && layout?.certificateDirectoryOffset !== undefined) {
    result = Buffer.concat([
      file.subarray(0, block.start),
      file.subarray(block.start + block.length),
    ]);
    result.writeUInt32LE(table.size - block.length, layout.certificateDirectoryOffset + 4);
    const entries = certificateEntries(file.subarray(table.offset, tableEnd));
    const last = entries.find(
      (entry) => table.offset + entry.offset + entry.length === block.start + block.length,
    );
    if (last) result.writeUInt32LE(last.length - block.length, table.offset + last.offset);
  } else {
    result = Buffer.from(file.subarray(0, block.start));
  }
  if (layout && layout.checksum !== 0) {
    result.writeUInt32LE(peChecksum(result, layout.checksumOffset), layout.checksumOffset);
  }
  return result;
}
