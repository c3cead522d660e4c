/**
 * The PE checksum (what Windows' CheckSumMappedFile computes): the file read as little-endian
 * 16-bit words, the checksum field itself skipped, summed with end-around carry, plus the file's
 * length. An end-around-carry sum is the plain sum taken modulo 0xFFFF (0x10000 ≡ 1), so it can
 * be kept as two running byte sums and adjusted for changed bytes without reading the file again.
 */
export class WordSum {
  /** Sums of the bytes at even and at odd file offsets. */
  private even = 0;
  private odd = 0;

  /** Adds `bytes` found at file offset `position`. */
  add(bytes: Uint8Array, position: number): this {
    let even = 0;
    let odd = 0;
    // The index of the first byte that sits at an even file offset.
    const first = position % 2;
    for (let index = first; index < bytes.length; index += 2) even += bytes[index] as number;
    for (let index = 1 - first; index < bytes.length; index += 2) odd += bytes[index] as number;
    this.even += even;
    this.odd += odd;
    return this;
  }

  /** Takes back bytes added earlier (a field that will be rewritten). */
  remove(bytes: Uint8Array, position: number): this {
    const taken = new WordSum().add(bytes, position);
    this.even -= taken.even;
    this.odd -= taken.odd;
    return this;
  }

  copy(): WordSum {
    const copy = new WordSum();
    copy.even = this.even;
    copy.odd = this.odd;
    return copy;
  }

  /** The checksum of a file of `length` bytes whose words (checksum field excluded) are these. */
  checksum(length: number): number {
    const total = this.even + this.odd * 256;
    const rest = total % 0xffff;
    const folded = rest === 0 && total > 0 ? 0xffff : rest;
    return (folded + length) >>> 0;
  }
}

/** The checksum computed word by word, as the specification states it (for tests). */
export function directChecksum(file: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let index = 0; index < file.length; index += 2) {
    if (index === checksumOffset || index === checksumOffset + 2) continue;
    sum += (file[index] as number) | ((file[index + 1] ?? 0) << 8);
    sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return (sum + file.length) >>> 0;
}
