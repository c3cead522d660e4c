import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure } from '../windows/commands';
import { SERVICE_NAME, systemTool } from '../windows/paths';
import type { WindowsPlatform } from '../windows/platform';
import {
  ACCESS_DENIED,
  parseScQuery,
  SERVICE_DOES_NOT_EXIST,
  type ServiceStatus,
  serviceCommand,
  serviceSetupCommands,
} from '../windows/service';
import { EXIT, installerError } from './errors';
import type { InstallLog } from './log';

export interface ServiceControlOptions {
  /** How long a start or a stop may take before it counts as failed. */
  waitMs?: number;
  pollMs?: number;
}

/** The service's state, or undefined when it does not exist. */
export async function queryService(
  platform: WindowsPlatform,
  options: ServiceControlOptions = {},
): Promise<ServiceStatus | undefined> {
  // `query`, not `queryex`: Wine's sc has only the former.
  const command = serviceCommand(platform.paths, 'query');
  for (let attempt = 1; ; attempt += 1) {
    const result = await platform.runner.run(command.file, command.args);
    if (result.code === 0) return parseScQuery(result.stdout) ?? { state: 'stopped' };
    if (result.code === ACCESS_DENIED) {
      throw installerError(
        'not_administrator',
        'Droits administrateur requis pour interroger le service.',
        EXIT.notAdministrator,
      );
    }
    if (result.code === SERVICE_DOES_NOT_EXIST) return undefined;
    // Another failure (Wine's sc says 1 for a missing service, and also, now and then, for one
    // its service manager has not loaded yet): the service's registry key settles it.
    if (!(await serviceKeyExists(platform))) return undefined;
    if (attempt >= 3) return { state: 'stopped' };
    await sleep(options.pollMs ?? 1000);
  }
}

/** Whether HKLM\SYSTEM\CurrentControlSet\Services\OptralisAgent exists. */
async function serviceKeyExists(platform: WindowsPlatform): Promise<boolean> {
  const result = await platform.runner.run(systemTool(platform.paths, 'reg.exe'), [
    'query',
    `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${SERVICE_NAME}`,
    '/v',
    'ImagePath',
  ]);
  return result.code === 0;
}

async function waitForState(
  platform: WindowsPlatform,
  wanted: 'running' | 'stopped',
  options: ServiceControlOptions,
): Promise<ServiceStatus | undefined> {
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  for (;;) {
    const status = await queryService(platform, options);
    if (!status || status.state === wanted) return status;
    // A start that falls back to stopped has failed; waiting longer changes nothing.
    if (wanted === 'running' && status.state === 'stopped') return status;
    if (Date.now() > deadline) return status;
    await sleep(options.pollMs ?? 1000);
  }
}

/**
 * Stops the service if it runs, and makes sure its processes are gone (they hold the program's
 * files open): a service that does not stop in time is ended with taskkill, by process id.
 */
export async function stopService(
  platform: WindowsPlatform,
  log: InstallLog,
  options: ServiceControlOptions = {},
): Promise<void> {
  const status = await queryService(platform, options);
  if (!status || status.state === 'stopped') return;
  log.info('Arrêt du service OptralisAgent');
  const stop = serviceCommand(platform.paths, 'stop');
  await platform.runner.run(stop.file, stop.args);
  const after = await waitForState(platform, 'stopped', options);
  if (!after || after.state === 'stopped') return;
  const pid = await servicePid(platform);
  if (pid) {
    log.warn(`Le service ne s'arrête pas ; fin forcée du processus ${pid}`);
    await platform.runner.run(systemTool(platform.paths, 'taskkill.exe'), [
      '/F',
      '/T',
      '/PID',
      String(pid),
    ]);
  }
}

/** The service's process id, from `sc queryex`. */
async function servicePid(platform: WindowsPlatform): Promise<number | undefined> {
  const command = serviceCommand(platform.paths, 'queryex');
  const result = await platform.runner.run(command.file, command.args);
  return result.code === 0 ? parseScQuery(result.stdout)?.pid : undefined;
}

/** Creates the service, or repairs its settings when it exists. */
export async function configureService(
  platform: WindowsPlatform,
  log: InstallLog,
): Promise<'created' | 'updated'> {
  const exists = (await queryService(platform)) !== undefined;
  for (const command of serviceSetupCommands(platform.paths, exists)) {
    const result = await platform.runner.run(command.file, command.args);
    if (result.code === 0) continue;
    if (command.critical) {
      throw installerError(
        'service_setup_failed',
        `La commande sc ${command.args[0]} a échoué (${describeFailure(result)}).`,
        EXIT.serviceFailed,
      );
    }
    log.warn(
      `sc ${command.args[0]} a échoué (${describeFailure(result)}) ; installation poursuivie`,
    );
  }
  return exists ? 'updated' : 'created';
}

/** Starts the service and waits until Windows reports it running. */
export async function startService(
  platform: WindowsPlatform,
  options: ServiceControlOptions = {},
): Promise<void> {
  const start = serviceCommand(platform.paths, 'start');
  const result = await platform.runner.run(start.file, start.args);
  // 1056: already running.
  if (result.code !== 0 && result.code !== 1056) {
    throw installerError(
      'service_start_failed',
      `Le service OptralisAgent n'a pas démarré (${describeFailure(result)}). Consultez les journaux dans C:\\ProgramData\\optralis-agent\\logs.`,
      EXIT.serviceFailed,
    );
  }
  const status = await waitForState(platform, 'running', options);
  if (status?.state !== 'running') {
    throw installerError(
      'service_start_failed',
      `Le service OptralisAgent ne reste pas démarré (état : ${status?.state ?? 'absent'}). Consultez les journaux dans C:\\ProgramData\\optralis-agent\\logs.`,
      EXIT.serviceFailed,
    );
  }
}

/** Stops and deletes the service; nothing to do when it does not exist. */
export async function removeService(
  platform: WindowsPlatform,
  log: InstallLog,
  options: ServiceControlOptions = {},
): Promise<boolean> {
  if (!(await queryService(platform, options))) return false;
  await stopService(platform, log, options);
  const remove = serviceCommand(platform.paths, 'delete');
  const result = await platform.runner.run(remove.file, remove.args);
  if (result.code !== 0) {
    throw installerError(
      'service_delete_failed',
      `Impossible de supprimer le service (${describeFailure(result)}).`,
      EXIT.serviceFailed,
    );
  }
  return true;
}
