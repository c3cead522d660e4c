/**
 * CRC-32 of a concatenation from the CRC-32s of its parts, the way zlib's crc32_combine does it:
 * appending n bytes multiplies the first CRC by x^(8n) modulo the CRC polynomial. Lets a gzip
 * trailer be written for a file whose largest part was checksummed once, long before.
 */

/** The CRC-32 polynomial, bit-reversed (x^0 is the top bit). */
const POLY = 0xedb88320;

/** a(x) * b(x) modulo the polynomial. */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  let factor = b;
  for (let bit = 0x80000000; bit !== 0 && a !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) {
      product ^= factor;
      a &= ~bit;
    }
    factor = factor & 1 ? (factor >>> 1) ^ POLY : factor >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0..31. */
const POWERS: number[] = [];
for (let k = 0, power = 0x40000000; k < 32; k += 1) {
  POWERS.push(power);
  power = multiplyModP(power, power);
}

/** x^(8 * bytes) modulo the polynomial. */
function shiftFor(bytes: number): number {
  let result = 0x80000000;
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k += 1) {
    if (n % 2 === 1) result = multiplyModP(POWERS[k % 32] as number, result);
  }
  return result;
}

/** The CRC-32 of A followed by B, given crc(A), crc(B) and B's length. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(shiftFor(lengthB), crcA) ^ crcB) >>> 0;
}
