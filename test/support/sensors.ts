import fs from 'node:fs';
import path from 'node:path';

function readings(dir: string, pattern: RegExp): number[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((entry) => {
    const base = path.join(dir, entry);
    let files: string[];
    try {
      files = fs.readdirSync(base);
    } catch {
      return [];
    }
    return files
      .filter((file) => pattern.test(file))
      .flatMap((file) => {
        try {
          return [Number(fs.readFileSync(path.join(base, file), 'utf8').trim()) / 1000];
        } catch {
          // Some sensors answer EIO or ENODATA when read: no reading.
          return [];
        }
      });
  });
}

/**
 * Whether this Linux machine has a temperature sensor giving a believable value (1 to 150 °C),
 * read straight from the kernel's files in millidegrees: containers and many virtual machines
 * have none, and then the agent must report "unavailable".
 */
export function hasBelievableSensor(): boolean {
  const celsius = [
    ...readings('/sys/class/hwmon', /^temp\d+_input$/),
    ...readings('/sys/class/thermal', /^temp$/),
  ];
  return celsius.some((value) => Number.isFinite(value) && value >= 1 && value <= 150);
}
