import fs from 'node:fs';
import { restrictToAdministratorsCommands } from '../windows/acl';
import { describeFailure } from '../windows/commands';
import type { WindowsPlatform } from '../windows/platform';
import { EXIT, installerError } from './errors';

/**
 * Creates `C:\ProgramData\optralis-agent` (and its logs folder) readable by SYSTEM and
 * Administrators only, before any key is written into it. A folder that is a link (a junction
 * planted by another user, pointing elsewhere) is refused rather than followed.
 */
export async function secureDataDir(platform: WindowsPlatform): Promise<void> {
  const { dataDir, logsDir } = platform.paths;
  try {
    if (fs.lstatSync(dataDir).isSymbolicLink()) {
      throw installerError(
        'data_dir_link',
        `${dataDir} est un lien vers un autre dossier : supprimez-le puis relancez l'installation.`,
        EXIT.installFailed,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(logsDir, { recursive: true });
  for (const command of restrictToAdministratorsCommands(platform.paths, dataDir)) {
    const result = await platform.runner.run(command.file, command.args);
    if (result.code !== 0) {
      throw installerError(
        'acl_failed',
        `Impossible de restreindre l'accès à ${dataDir} (icacls ${describeFailure(result)}).`,
        EXIT.installFailed,
      );
    }
  }
}

/**
 * Only one install or uninstall at a time: a lock file naming its process, taken over when
 * that process is gone.
 */
export function acquireInstallLock(platform: WindowsPlatform): () => void {
  const file = platform.paths.lockFile;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw installerError(
          'busy',
          `Une autre installation d'Optralis Agent est en cours (processus ${owner}).`,
          EXIT.busy,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw installerError('busy', "Impossible de prendre le verrou d'installation.", EXIT.busy);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
