import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Hands a token to the elevated copy through a file: the copy started by UAC gets neither this
 * process's standard input nor its environment, and the command line is readable by every user.
 * The file is in a new folder of the user's %TEMP% (which only the user, SYSTEM and
 * Administrators may read), and is removed as soon as the copy has finished.
 */
export function writeTokenHandoff(
  tempDir: string,
  token: string,
): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(tempDir, 'optralis-'));
  const file = path.join(dir, `token-${crypto.randomBytes(6).toString('hex')}.txt`);
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return {
    file,
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
