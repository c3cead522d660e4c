/**
 * The few facts about a PE (Windows executable) file that the installer payload needs, read from
 * its headers alone: where the checksum and the certificate table are, and where the image ends.
 * See Microsoft's "PE Format" specification (optional header, data directories, attribute
 * certificate table).
 */

/** Index of the certificate table ("security directory") among the data directories. */
const SECURITY_DIRECTORY = 4;
const PE32 = 0x10b;
const PE32_PLUS = 0x20b;

export interface PeCertificateTable {
  /** File offset of the table (the directory holds a file offset here, not an RVA). */
  offset: number;
  size: number;
}

export interface PeLayout {
  /** File offset of the optional header's 32-bit CheckSum field. */
  checksumOffset: number;
  /** The checksum the headers hold; 0 means none is kept. */
  checksum: number;
  /** File offset of the 8-byte security directory entry, when the headers have one. */
  certificateDirectoryOffset: number | undefined;
  certificateTable: PeCertificateTable | undefined;
  /** SizeOfHeaders: every field above lies before this offset. */
  headersEnd: number;
  /** Where the raw data of the last section ends: anything after it is not part of the image. */
  imageEnd: number;
}

function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (readU16(bytes, offset) + readU16(bytes, offset + 2) * 0x10000) >>> 0;
}

/**
 * Reads the layout from the first bytes of a file (64 KiB is always enough for real headers).
 * Returns undefined when the bytes are not a PE file or its headers do not fit in `head`.
 */
export function readPeLayout(head: Uint8Array): PeLayout | undefined {
  if (head.length < 0x40 || head[0] !== 0x4d || head[1] !== 0x5a) return undefined;
  const pe = readU32(head, 0x3c);
  if (pe + 24 > head.length || readU32(head, pe) !== 0x00004550) return undefined;

  const sections = readU16(head, pe + 6);
  const optionalSize = readU16(head, pe + 20);
  const optional = pe + 24;
  const magic = readU16(head, optional);
  if (magic !== PE32 && magic !== PE32_PLUS) return undefined;
  const directories = optional + (magic === PE32_PLUS ? 112 : 96);
  const directoryCount = readU32(head, directories - 4);
  const sectionTable = optional + optionalSize;
  if (sectionTable + sections * 40 > head.length || directories > sectionTable) return undefined;

  let imageEnd = readU32(head, optional + 60);
  for (let index = 0; index < sections; index += 1) {
    const entry = sectionTable + index * 40;
    const rawSize = readU32(head, entry + 16);
    const rawPointer = readU32(head, entry + 20);
    if (rawSize > 0) imageEnd = Math.max(imageEnd, rawPointer + rawSize);
  }

  let certificateDirectoryOffset: number | undefined;
  let certificateTable: PeCertificateTable | undefined;
  const entry = directories + SECURITY_DIRECTORY * 8;
  if (directoryCount > SECURITY_DIRECTORY && entry + 8 <= sectionTable) {
    certificateDirectoryOffset = entry;
    const offset = readU32(head, entry);
    const size = readU32(head, entry + 4);
    if (offset !== 0 && size !== 0) certificateTable = { offset, size };
  }
  return {
    checksumOffset: optional + 64,
    checksum: readU32(head, optional + 64),
    certificateDirectoryOffset,
    certificateTable,
    headersEnd: readU32(head, optional + 60),
    imageEnd,
  };
}

/** The WIN_CERTIFICATE entries of a certificate table: each starts on an 8-byte boundary. */
export function certificateEntries(
  table: Uint8Array,
): Array<{ offset: number; length: number; type: number }> {
  const entries: Array<{ offset: number; length: number; type: number }> = [];
  let offset = 0;
  while (offset + 8 <= table.length) {
    const length = readU32(table, offset);
    if (length < 8 || offset + length > table.length) break;
    entries.push({ offset, length, type: readU16(table, offset + 6) });
    offset += (length + 7) & ~7;
  }
  return entries;
}
