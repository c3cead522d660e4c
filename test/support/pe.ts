import crypto from 'node:crypto';

export interface SyntheticPeOptions {
  /** Bytes of the one section's raw data (a multiple of 512 keeps it realistic). */
  sectionBytes?: number;
  /** Contents of a WIN_CERTIFICATE entry (as if signed); the table ends the file. */
  certificate?: Buffer;
  /** Whether the optional header keeps a (non-zero) checksum. */
  checksum?: boolean;
  /** Bytes placed at the start of the section, e.g. text the reader must not be misled by. */
  sectionPrefix?: Buffer;
}

/**
 * A small, well-formed PE32+ file: DOS header, PE headers, one section of random bytes and,
 * when asked, an attribute certificate table. Windows would not run it; the payload code only
 * reads its headers, which follow Microsoft's PE format exactly.
 */
export function syntheticPe(options: SyntheticPeOptions = {}): Buffer {
  const headersSize = 0x400;
  const sectionBytes = options.sectionBytes ?? 0x2000;
  const section = crypto.randomBytes(sectionBytes);
  options.sectionPrefix?.copy(section);
  const head = Buffer.alloc(headersSize);
  head.write('MZ', 0, 'ascii');
  const pe = 0x80;
  head.writeUInt32LE(pe, 0x3c);
  head.write('PE\0\0', pe, 'latin1');
  head.writeUInt16LE(0x8664, pe + 4); // machine: x64
  head.writeUInt16LE(1, pe + 6); // one section
  head.writeUInt16LE(240, pe + 20); // size of the PE32+ optional header
  const optional = pe + 24;
  head.writeUInt16LE(0x20b, optional);
  head.writeUInt32LE(0x200, optional + 36); // file alignment
  head.writeUInt32LE(headersSize, optional + 60); // SizeOfHeaders
  head.writeUInt32LE(16, optional + 108); // NumberOfRvaAndSizes
  const sectionTable = optional + 240;
  head.write('.text', sectionTable, 'ascii');
  head.writeUInt32LE(sectionBytes, sectionTable + 16);
  head.writeUInt32LE(headersSize, sectionTable + 20);

  const parts = [head, section];
  if (options.certificate) {
    const length = 8 + options.certificate.length;
    const padded = Math.ceil(length / 8) * 8;
    const entry = Buffer.alloc(padded);
    entry.writeUInt32LE(padded, 0);
    entry.writeUInt16LE(0x0200, 4);
    entry.writeUInt16LE(0x0002, 6);
    options.certificate.copy(entry, 8);
    const directory = optional + 112 + 4 * 8;
    head.writeUInt32LE(headersSize + sectionBytes, directory);
    head.writeUInt32LE(padded, directory + 4);
    parts.push(entry);
  }
  const file = Buffer.concat(parts);
  if (options.checksum !== false) file.writeUInt32LE(0x12345678, optional + 64);
  return file;
}
