import fs from 'node:fs';
import { systemTool } from '../windows/paths';
import type { WindowsPlatform } from '../windows/platform';
import { removeUninstallEntryCommand } from '../windows/uninstall-entry';
import { EXIT, InstallerError, installerError } from './errors';
import type { InstallLog } from './log';
import type { ProgressSink } from './progress';
import { removeService, type ServiceControlOptions } from './service-control';
import { stepInfo, UNINSTALL_STEPS, type UninstallStepId } from './steps';

export interface UninstallDeps {
  platform: WindowsPlatform;
  log: InstallLog;
  progress?: ProgressSink | undefined;
  service?: ServiceControlOptions;
}

export interface UninstallOutcome {
  ok: boolean;
  exitCode: number;
  code: string;
  message: string;
}

function inside(platform: WindowsPlatform, file: string | undefined, dir: string): boolean {
  if (!file) return false;
  const relative = platform.path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !platform.path.isAbsolute(relative);
}

/**
 * Removes every file of a folder except `keep`. Returns false when something stayed.
 */
function removeAllBut(platform: WindowsPlatform, dir: string, keep: string): boolean {
  let complete = true;
  for (const name of fs.readdirSync(dir)) {
    const full = platform.path.join(dir, name);
    if (platform.path.resolve(full).toLowerCase() === platform.path.resolve(keep).toLowerCase())
      continue;
    try {
      fs.rmSync(full, { recursive: true, force: true });
    } catch {
      complete = false;
    }
  }
  return complete;
}

/**
 * Stops and removes the service, the program folder, the configuration, the certificates and
 * the "Apps & features" entry. When the uninstaller is the installed executable itself (run from
 * "Apps & features"), Windows does not let it delete its own file while it runs: a detached
 * command removes the folder once it has exited.
 */
export async function runUninstall(deps: UninstallDeps): Promise<UninstallOutcome> {
  const { platform, log } = deps;
  const { paths } = platform;
  const step = (id: UninstallStepId) => {
    const info = stepInfo(UNINSTALL_STEPS, id);
    log.info(`[${info.index}/${info.total}] ${info.label}`);
    deps.progress?.({ event: 'step', ...info });
  };
  try {
    step('check');
    if (!(await platform.isAdministrator())) {
      throw installerError(
        'not_administrator',
        'La désinstallation demande les droits administrateur.',
        EXIT.notAdministrator,
      );
    }

    step('service');
    const removed = await removeService(platform, log, deps.service);
    log.info(
      removed ? 'Service OptralisAgent supprimé' : 'Aucun service OptralisAgent à supprimer',
    );

    step('files');
    let later = false;
    if (fs.existsSync(paths.programDir)) {
      const self = platform.ownExecutable;
      if (inside(platform, self, paths.programDir)) {
        removeAllBut(platform, paths.programDir, self as string);
        later = true;
        // cmd /s /c "…": the outer quotes go, the inner ones stay (see `cmd /?`).
        platform.spawnDetached(systemTool(paths, 'cmd.exe'), [
          '/d',
          '/s',
          '/c',
          `"ping -n 4 127.0.0.1 >nul & rmdir /s /q "${paths.programDir}""`,
        ]);
        log.info(`${paths.programDir} sera supprimé dès la fin de ce programme`);
      } else {
        fs.rmSync(paths.programDir, { recursive: true, force: true });
        log.info(`${paths.programDir} supprimé`);
      }
    }

    step('config');
    fs.rmSync(paths.dataDir, { recursive: true, force: true });
    log.info(`${paths.dataDir} supprimé (configuration, certificats et journaux)`);
    const entry = removeUninstallEntryCommand(paths);
    await platform.runner.run(entry.file, entry.args);

    const message =
      'Optralis Agent a été désinstallé. La machine reste listée dans le tableau de bord : révoquez-la si elle ne doit plus revenir.' +
      (later ? ' Le dossier du programme sera supprimé à la fermeture de cette fenêtre.' : '');
    log.info(message);
    return { ok: true, exitCode: EXIT.ok, code: 'uninstalled', message };
  } catch (error) {
    const failure =
      error instanceof InstallerError
        ? error
        : installerError(
            'uninstall_failed',
            `La désinstallation a échoué : ${(error as Error).message}`,
            EXIT.installFailed,
          );
    log.error(`${failure.message} [${failure.code}]`);
    return { ok: false, exitCode: failure.exitCode, code: failure.code, message: failure.message };
  }
}
