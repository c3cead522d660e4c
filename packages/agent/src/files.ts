import fs from 'node:fs';
import path from 'node:path';

/**
 * Makes `dir` and its missing parents, like `mkdir -p`. Node's recursive mkdirSync never returns
 * for a path under /proc (mkdir answers ENOENT there, and it tries the parent again); here the
 * missing directories are made one at a time from the deepest one that exists, and mkdir's error
 * is thrown as it comes.
 */
export function makeDirectory(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !fs.existsSync(current); ) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const each of missing) {
    try {
      fs.mkdirSync(each, mode === undefined ? {} : { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(file: string, content: string | Buffer, mode: number): void {
  makeDirectory(path.dirname(file));
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode });
  fs.chmodSync(temporary, mode);
  fs.renameSync(temporary, file);
}
