import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import type { WindowsPlatform } from '../windows/platform';
import { EXIT, InstallerError, installerError } from './errors';
import type { InstallerFlags } from './flags';
import { checkOperatingSystem, runInstall, serverUrlOf } from './installer';
import { createInstallLog, type InstallLog } from './log';
import { payloadExpired } from './payload-expiry';
import { type ProgressSink, progressFileSink } from './progress';
import { elevatedArguments, installRequestFrom } from './request';
import { writeTokenHandoff } from './token-handoff';
import { runUninstall } from './uninstall';

export interface SilentDeps {
  platform: WindowsPlatform;
  payload?: InstallerPayload | undefined;
  console?: ((line: string) => void) | undefined;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => Date;
}

export function defaultLogFile(platform: WindowsPlatform, uninstall: boolean): string {
  return platform.path.join(
    platform.tempDir,
    uninstall ? 'optralis-agent-uninstall.log' : 'optralis-agent-install.log',
  );
}

/** Paths given on the command line, made absolute: the elevated copy starts in System32. */
export function absolute(platform: WindowsPlatform, flags: InstallerFlags): InstallerFlags {
  const resolve = (file: string | undefined) =>
    file && file !== '-' ? platform.path.resolve(file) : file;
  return {
    ...flags,
    mtlsCert: resolve(flags.mtlsCert),
    mtlsKey: resolve(flags.mtlsKey),
    tokenFile: resolve(flags.tokenFile),
    log: resolve(flags.log),
    progressFile: resolve(flags.progressFile),
  };
}

function finish(
  log: InstallLog,
  progress: ProgressSink | undefined,
  result: {
    ok: boolean;
    exitCode: number;
    code: string;
    message: string;
    machineId?: string | undefined;
  },
): number {
  progress?.({
    event: 'result',
    ok: result.ok,
    exit_code: result.exitCode,
    code: result.code,
    message: result.message,
    machine_id: result.machineId ?? null,
    log_file: log.file ?? null,
  });
  if (log.file) log.info(`Journal : ${log.file}`);
  return result.exitCode;
}

/**
 * `-silent`: install (or `uninstall`) without a window. An expired personalized installer
 * stops first; then the OS gate, before elevation and before the token is used; without administrator rights the installer starts
 * itself again through UAC and returns that copy's status. Everything goes to the log file and
 * to the console when there is one; the exit status says how it ended.
 */
export async function runSilent(rawFlags: InstallerFlags, deps: SilentDeps): Promise<number> {
  const { platform } = deps;
  const flags = absolute(platform, rawFlags);
  const log = createInstallLog({
    file: flags.log ?? defaultLogFile(platform, flags.uninstall),
    console: deps.console,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const progress = flags.progressFile ? progressFileSink(flags.progressFile) : undefined;
  const fetchOption = deps.fetch ? { fetch: deps.fetch } : {};

  try {
    if (flags.uninstall) {
      log.info("Désinstallation silencieuse d'Optralis Agent");
      if (!(await platform.isAdministrator())) return await elevate(flags, deps, log, progress);
      const outcome = await runUninstall({ platform, log, progress });
      return finish(log, progress, outcome);
    }

    log.info("Installation silencieuse d'Optralis Agent");
    const request = installRequestFrom(flags, deps.payload, deps.env ?? process.env);
    // The executable's payload, or the fallback ZIP's files beside -token-file.
    const expired = payloadExpired(request.credentials?.payload, deps.now?.() ?? new Date());
    if (expired) throw expired;
    const gate = await checkOperatingSystem(platform, serverUrlOf(request), fetchOption);
    if (!gate.supported) {
      throw installerError(
        'unsupported_os',
        gate.message ?? 'Système non pris en charge.',
        EXIT.unsupportedOs,
      );
    }
    if (!(await platform.isAdministrator())) {
      // Standard input and the environment do not reach the elevated copy; a file does.
      const credentials = request.credentials;
      const token =
        credentials?.kind === 'token' &&
        (credentials.source === 'stdin' || credentials.source === 'environment')
          ? credentials.token
          : undefined;
      return await elevate(flags, deps, log, progress, token);
    }
    const outcome = await runInstall(request, {
      platform,
      log,
      progress,
      ...fetchOption,
      ...(deps.now ? { now: deps.now } : {}),
    });
    return finish(log, progress, outcome);
  } catch (error) {
    const failure =
      error instanceof InstallerError
        ? error
        : installerError(
            'unexpected',
            `Erreur inattendue : ${(error as Error).message}`,
            EXIT.unexpected,
          );
    log.error(`${failure.message} [${failure.code}]`);
    return finish(log, progress, {
      ok: false,
      exitCode: failure.exitCode,
      code: failure.code,
      message: failure.message,
    });
  }
}

async function elevate(
  flags: InstallerFlags,
  deps: SilentDeps,
  log: InstallLog,
  progress: ProgressSink | undefined,
  token?: string,
): Promise<number> {
  if (flags.elevated) {
    throw installerError(
      'not_administrator',
      "Les droits administrateur n'ont pas été obtenus.",
      EXIT.notAdministrator,
    );
  }
  log.info("Droits administrateur requis : demande d'élévation (UAC)");
  const handoff = token ? writeTokenHandoff(deps.platform.tempDir, token) : undefined;
  try {
    const code = await deps.platform.runElevated(
      elevatedArguments(flags, { tokenFile: handoff?.file, log: log.file }),
    );
    if (code === EXIT.cancelled) {
      return finish(log, progress, {
        ok: false,
        exitCode: code,
        code: 'cancelled',
        message: "Élévation refusée : l'installation demande les droits administrateur.",
      });
    }
    // The elevated copy wrote its own steps and result (same log, same progress file).
    return code;
  } finally {
    handoff?.remove();
  }
}
