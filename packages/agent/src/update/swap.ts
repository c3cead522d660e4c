import fs from 'node:fs';
import path from 'node:path';

/** Where the update lands while it downloads: beside the binary, on the same file system. */
export function temporaryPathOf(binary: string): string {
  return path.join(path.dirname(binary), `.${path.basename(binary)}.update`);
}

/**
 * The copy of the binary that ran before the last update (the watchdog runs from it). On
 * Windows it keeps the `.exe` ending, which Windows needs to start it.
 */
export function previousPathOf(binary: string): string {
  return binary.endsWith('.exe') ? `${binary.slice(0, -4)}.previous.exe` : `${binary}.previous`;
}

function copyAtomic(from: string, to: string): void {
  const scratch = `${to}.${process.pid}.tmp`;
  fs.copyFileSync(from, scratch);
  fs.chmodSync(scratch, 0o755);
  fs.renameSync(scratch, to);
}

/**
 * Puts the verified download in place of the binary, keeping the running one as
 * `<binary>.previous`. On Linux the rename replaces the file atomically (the running process
 * keeps the old inode); Windows does not let a running executable be replaced, but lets it be
 * renamed away first.
 */
export function installBinary(
  binary: string,
  download: string,
  platform: NodeJS.Platform = process.platform,
): string {
  const previous = previousPathOf(binary);
  copyAtomic(binary, previous);
  fs.chmodSync(download, 0o755);
  if (platform === 'win32') {
    const aside = `${binary}.old`;
    fs.rmSync(aside, { force: true });
    fs.renameSync(binary, aside);
  }
  fs.renameSync(download, binary);
  return previous;
}

/** Puts the previous binary back (atomically on Linux). */
export function restoreBinary(
  binary: string,
  previous: string,
  platform: NodeJS.Platform = process.platform,
): void {
  if (platform === 'win32') {
    const aside = `${binary}.failed`;
    fs.rmSync(aside, { force: true });
    fs.renameSync(binary, aside);
  }
  copyAtomic(previous, binary);
}
