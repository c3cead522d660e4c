import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT } from '../install/errors';
import type { InstallerFlags } from '../install/flags';
import { type InstallRequest, runInstall } from '../install/installer';
import { createInstallLog } from '../install/log';
import { type ProgressSink, readProgressFile } from '../install/progress';
import { elevatedArguments } from '../install/request';
import type { ServiceControlOptions } from '../install/service-control';
import { writeTokenHandoff } from '../install/token-handoff';
import { runUninstall } from '../install/uninstall';
import type { WindowsPlatform } from '../windows/platform';

export interface TaskResult {
  ok: boolean;
  exitCode: number;
  code: string;
  message: string;
  machineId?: string | undefined;
}

export type TaskKind = { kind: 'install'; request: InstallRequest } | { kind: 'uninstall' };

/** Runs an install or an uninstall and reports its steps; resolves with how it ended. */
export type InstallTask = (task: TaskKind, progress: ProgressSink) => Promise<TaskResult>;

/** In this process: the GUI already has administrator rights (and the dry run). */
export function inProcessTask(
  platform: WindowsPlatform,
  logFile: string,
  options: { fetch?: typeof fetch; service?: ServiceControlOptions } = {},
): InstallTask {
  return async (task, progress) => {
    const log = createInstallLog({ file: logFile });
    const deps = { platform, log, progress, ...options };
    return task.kind === 'install' ? runInstall(task.request, deps) : runUninstall(deps);
  };
}

/**
 * Through UAC: the GUI stays an ordinary user's program (so does its browser window) and the
 * work runs in an elevated copy of the executable in silent mode, which reports its steps in a
 * progress file read here. A token typed in the form reaches it through a file, never argv.
 */
export function elevatedTask(
  platform: WindowsPlatform,
  flags: InstallerFlags,
  logFile: string,
  pollMs = 300,
): InstallTask {
  return async (task, progress) => {
    const scratch = fs.mkdtempSync(path.join(platform.tempDir, 'optralis-gui-'));
    const progressFile = path.join(scratch, 'progress.jsonl');
    const request = task.kind === 'install' ? task.request : undefined;
    const credentials = request?.credentials;
    const handoff =
      credentials?.kind === 'token' && credentials.source === 'form'
        ? writeTokenHandoff(platform.tempDir, credentials.token)
        : undefined;
    const childFlags: InstallerFlags = {
      ...flags,
      uninstall: task.kind === 'uninstall',
      url: request?.serverUrl ?? flags.url,
      withLhm: request?.withLhm ?? false,
      beta: request?.channel === 'beta',
    };
    let offset = 0;
    let result: TaskResult | undefined;
    const drain = () => {
      const read = readProgressFile(progressFile, offset);
      offset = read.offset;
      for (const event of read.events) {
        if (event.event === 'result') {
          result = {
            ok: event.ok,
            exitCode: event.exit_code,
            code: event.code,
            message: event.message,
            machineId: event.machine_id ?? undefined,
          };
        } else progress(event);
      }
    };
    let running = true;
    const poller = (async () => {
      while (running) {
        drain();
        await sleep(pollMs);
      }
    })();
    try {
      const exitCode = await platform.runElevated(
        elevatedArguments(childFlags, { tokenFile: handoff?.file, progressFile, log: logFile }),
      );
      running = false;
      await poller;
      drain();
      if (result) return result;
      if (exitCode === EXIT.cancelled) {
        return {
          ok: false,
          exitCode,
          code: 'cancelled',
          message: "Élévation refusée : l'installation demande les droits administrateur.",
        };
      }
      return {
        ok: exitCode === 0,
        exitCode,
        code: exitCode === 0 ? 'done' : 'failed',
        message: `L'installeur s'est arrêté avec le code ${exitCode}.`,
      };
    } finally {
      running = false;
      handoff?.remove();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  };
}
