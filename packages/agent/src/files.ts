import fs from 'node:fs';
import path from 'node:path';

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(file: string, content: string | Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode });
  fs.chmodSync(temporary, mode);
  fs.renameSync(temporary, file);
}
