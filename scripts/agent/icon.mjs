// The Windows icon of the agent executable, drawn here rather than kept as a binary file: a
// blue rounded square holding a white ring and a green dot (a machine that is watched and
// well). Each size is a 32-bit BGRA bitmap of an .ico file, anti-aliased by supersampling.

const SIZES = [16, 24, 32, 48, 64, 256];
const BLUE = [0x1d, 0x4e, 0xd8];
const WHITE = [0xff, 0xff, 0xff];
const GREEN = [0x22, 0xc5, 0x5e];
const SAMPLES = 4;

/** Colour and coverage of one point of the unit square (0..1 on both axes). */
function shade(x, y) {
  const radius = 0.2;
  const cx = Math.min(Math.max(x, radius), 1 - radius);
  const cy = Math.min(Math.max(y, radius), 1 - radius);
  if (Math.hypot(x - cx, y - cy) > radius) return undefined;
  const ring = Math.hypot(x - 0.46, y - 0.5);
  if (Math.hypot(x - 0.74, y - 0.28) < 0.11) return GREEN;
  if (ring > 0.19 && ring < 0.3) return WHITE;
  return BLUE;
}

function bitmap(size) {
  const pixels = Buffer.alloc(size * size * 4);
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy += 1) {
        for (let sx = 0; sx < SAMPLES; sx += 1) {
          const colour = shade(
            (column + (sx + 0.5) / SAMPLES) / size,
            (row + (sy + 0.5) / SAMPLES) / size,
          );
          if (!colour) continue;
          sum[0] += colour[0];
          sum[1] += colour[1];
          sum[2] += colour[2];
          sum[3] += 1;
        }
      }
      // Bitmaps are stored bottom-up, in BGRA order, with straight alpha.
      const at = ((size - 1 - row) * size + column) * 4;
      const covered = sum[3];
      if (covered === 0) continue;
      pixels[at] = Math.round(sum[2] / covered);
      pixels[at + 1] = Math.round(sum[1] / covered);
      pixels[at + 2] = Math.round(sum[0] / covered);
      pixels[at + 3] = Math.round((covered / (SAMPLES * SAMPLES)) * 255);
    }
  }
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // colour bitmap and mask, as .ico entries declare
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(pixels.length, 20);
  const maskRow = Math.ceil(size / 32) * 4;
  return Buffer.concat([header, pixels, Buffer.alloc(maskRow * size)]);
}

/** The .ico file, every size in it. */
export function agentIcon() {
  const images = SIZES.map(bitmap);
  const directory = Buffer.alloc(6 + 16 * images.length);
  directory.writeUInt16LE(1, 2);
  directory.writeUInt16LE(images.length, 4);
  let offset = directory.length;
  images.forEach((image, index) => {
    const size = SIZES[index];
    const entry = 6 + index * 16;
    directory.writeUInt8(size >= 256 ? 0 : size, entry);
    directory.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    directory.writeUInt16LE(1, entry + 4);
    directory.writeUInt16LE(32, entry + 6);
    directory.writeUInt32LE(image.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += image.length;
  });
  return Buffer.concat([directory, ...images]);
}
