import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function ownerAlive(file: string): boolean {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` while holding `file`, a lock shared by every process on this machine (test forks
 * ask for the same build at once). The file holds the owner's pid; a dead owner's lock is taken
 * over by renaming it away first, so two waiters cannot both remove it.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!ownerAlive(file)) {
        const aside = `${file}.stale-${process.pid}`;
        try {
          fs.renameSync(file, aside);
          fs.rmSync(aside, { force: true });
        } catch {
          // Another waiter moved it first; try again.
        }
        continue;
      }
      await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
