// One build at a time per output directory, across processes: a lock file made with O_EXCL that
// names its owner's process id, taken over when that process no longer exists.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function ownerAlive(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error?.code === 'EPERM';
  }
}

export async function withLock(file, say, work) {
  let waited = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error?.code !== 'EEXIST') throw error;
      if (!ownerAlive(file)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!waited) say(`waiting for the build that holds ${file}`);
      waited = true;
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
