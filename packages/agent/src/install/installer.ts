import { loadAgentConfig } from '../config';
import { enroll, enrollFromPayload } from '../enroll';
import { parseMachineGuid } from '../hardware';
import { describeFailure } from '../windows/commands';
import { systemTool } from '../windows/paths';
import type { WindowsPlatform } from '../windows/platform';
import { uninstallEntryCommands } from '../windows/uninstall-entry';
import { readWindowsVersion } from '../windows/version';
import type { Credentials } from './credentials';
import { acquireInstallLock, secureDataDir } from './data-dir';
import { EXIT, fromEnrollmentError, InstallerError, installerError } from './errors';
import { type ExistingIdentity, existingIdentity, importCertificate } from './identity';
import { decideIdentity } from './keep-identity';
import { installLhm, type LhmOutcome } from './lhm';
import type { InstallLog } from './log';
import { decideOsGate, fetchOsRequirements } from './os-gate';
import { installProgramFiles, programSizeKb } from './program-files';
import type { ProgressSink } from './progress';
import {
  configureService,
  queryService,
  type ServiceControlOptions,
  startService,
  stopService,
} from './service-control';
import { INSTALL_STEPS, type InstallStepId, stepInfo } from './steps';

export interface InstallRequest {
  /** How to get an identity; not needed when the machine already has a valid one (repair). */
  credentials?: Credentials | undefined;
  /** Public URL of the server: OS requirements, LHM. Defaults to the token's. */
  serverUrl?: string | undefined;
  channel: 'stable' | 'beta';
  withLhm: boolean;
  /** The executable to install; this program's own by default. */
  sourceExe?: string | undefined;
  hostname?: string | undefined;
}

export interface InstallDeps {
  platform: WindowsPlatform;
  log: InstallLog;
  progress?: ProgressSink | undefined;
  now?: () => Date;
  fetch?: typeof fetch;
  service?: ServiceControlOptions;
}

export interface InstallOutcome {
  ok: boolean;
  exitCode: number;
  code: string;
  /** In French, for the final screen or the console. */
  message: string;
  machineId?: string | undefined;
  identity?: 'enrolled' | 'kept' | 'imported';
  lhm?: LhmOutcome;
}

/** The machine's MachineGuid from the 64-bit registry view, through the platform's reg.exe. */
async function readMachineGuid(platform: WindowsPlatform): Promise<string | undefined> {
  const result = await platform.runner.run(systemTool(platform.paths, 'reg.exe'), [
    'query',
    'HKLM\\SOFTWARE\\Microsoft\\Cryptography',
    '/v',
    'MachineGuid',
    '/reg:64',
  ]);
  return result.code === 0 ? parseMachineGuid(result.stdout) : undefined;
}

export function serverUrlOf(request: InstallRequest): string | undefined {
  if (request.serverUrl) return request.serverUrl;
  if (request.credentials?.kind === 'token') return request.credentials.serverUrl;
  return request.credentials?.publicUrl;
}

/**
 * The OS gate: the server's minimum Windows build (or 17763 when it cannot be asked) against
 * the build in the registry. Run before elevation and before any token is used.
 */
export async function checkOperatingSystem(
  platform: WindowsPlatform,
  serverUrl: string | undefined,
  options: { fetch?: typeof fetch } = {},
) {
  const [version, requirements] = await Promise.all([
    readWindowsVersion(platform.runner, platform.paths),
    fetchOsRequirements(serverUrl, options.fetch ? { fetch: options.fetch } : {}),
  ]);
  return decideOsGate(version, requirements);
}

/**
 * The identity on the machine when the installer keeps it; undefined when there is none or
 * the credentials given are for another client, server or a revoked machine.
 */
async function keptIdentity(
  found: ExistingIdentity | undefined,
  credentials: Credentials | undefined,
  notice: (level: 'info' | 'warning', message: string) => void,
): Promise<ExistingIdentity | undefined> {
  if (!found) return undefined;
  const machine = `machine ${found.machineId ?? 'inconnue'}`;
  if (credentials?.kind === 'certificate') {
    notice('info', `Installation existante détectée (${machine}) : remplacée par le certificat.`);
    return undefined;
  }
  const decision = credentials
    ? await decideIdentity(found, credentials)
    : ({ keep: true } as const);
  if (!decision.keep) {
    notice(
      'info',
      `Installation existante détectée (${machine}) : nouvelle inscription, car ${decision.reason}.`,
    );
    return undefined;
  }
  notice(
    'info',
    `Installation existante détectée (${machine}) : réparation et mise à jour, l'identité est conservée.`,
  );
  return found;
}

/**
 * Installs, repairs or upgrades the agent: the seven steps of INSTALL_STEPS. Never throws: the
 * outcome carries the exit status and a message in French.
 */
export async function runInstall(
  request: InstallRequest,
  deps: InstallDeps,
): Promise<InstallOutcome> {
  const { platform, log } = deps;
  const now = deps.now ?? (() => new Date());
  const step = (id: InstallStepId) => {
    const info = stepInfo(INSTALL_STEPS, id);
    log.info(`[${info.index}/${info.total}] ${info.label}`);
    deps.progress?.({ event: 'step', ...info });
  };
  const notice = (level: 'info' | 'warning', message: string) => {
    if (level === 'warning') log.warn(message);
    else log.info(message);
    deps.progress?.({ event: 'notice', level, message });
  };
  let release: (() => void) | undefined;
  let wasRunning = false;
  const outcome: Partial<InstallOutcome> = {};
  try {
    step('check');
    if (!(await platform.isAdministrator())) {
      throw installerError(
        'not_administrator',
        "L'installation demande les droits administrateur.",
        EXIT.notAdministrator,
      );
    }
    const serverUrl = serverUrlOf(request);
    const gate = await checkOperatingSystem(
      platform,
      serverUrl,
      deps.fetch ? { fetch: deps.fetch } : {},
    );
    if (gate.requirements.source === 'fallback') {
      log.info(
        `Exigences du serveur indisponibles (${gate.requirements.reason}) : minimum par défaut, build ${gate.requirements.minimum}`,
      );
    }
    if (!gate.supported)
      throw installerError(
        'unsupported_os',
        gate.message ?? 'Système non pris en charge.',
        EXIT.unsupportedOs,
      );
    log.info(`Windows build ${gate.version?.build} accepté (minimum ${gate.requirements.minimum})`);
    const found = existingIdentity(platform.paths, now());
    const credentials = request.credentials;
    if (!credentials && !found) {
      throw installerError(
        'no_credentials',
        "Aucun jeton d'installation ni certificat : utilisez l'installeur personnalisé du tableau de bord, ou donnez un jeton avec -token-file.",
        EXIT.noCredentials,
      );
    }
    await secureDataDir(platform);
    release = acquireInstallLock(platform);
    const existing = await keptIdentity(found, credentials, notice);

    step('identity');
    if (credentials?.kind === 'certificate') {
      // The server keeps a certificate machine's channel (set in the dashboard): -beta is
      // refused with a certificate before this point, so the certificate's config holds.
      importCertificate(platform.paths, credentials, credentials.channel ?? 'stable');
      if (!credentials.releaseKey) {
        notice(
          'warning',
          "Aucune clé de publication (release-key.json) à côté du certificat : l'agent n'acceptera pas de mise à jour tant qu'il n'est pas réinscrit.",
        );
      }
      outcome.identity = 'imported';
      outcome.machineId = credentials.machineId;
      log.info(
        `Certificat mTLS installé${credentials.machineId ? ` (machine ${credentials.machineId})` : ''}`,
      );
    } else if (existing) {
      outcome.identity = 'kept';
      outcome.machineId = existing.machineId;
      log.info(
        `Identité existante conservée, certificat valide jusqu'au ${existing.notAfter.toISOString()}`,
      );
    } else if (credentials?.kind === 'token') {
      const hardwareId = await readMachineGuid(platform);
      if (!hardwareId) log.warn('MachineGuid illisible : inscription sans identifiant matériel');
      // Only an explicit -beta moves the machine; otherwise the server's choice holds.
      const channel = request.channel === 'beta' ? 'beta' : undefined;
      try {
        // A personalized installer's token enrolls with its CA and release key pinned.
        const enrolled = credentials.payload
          ? await enrollFromPayload(credentials.payload, {
              configDir: platform.paths.dataDir,
              hardwareId,
              hostname: request.hostname,
              channel,
            })
          : await enroll({
              url: credentials.serverUrl,
              token: credentials.token,
              configDir: platform.paths.dataDir,
              hardwareId,
              hostname: request.hostname,
              channel,
            });
        outcome.machineId = enrolled.machineId;
      } catch (error) {
        throw fromEnrollmentError(error);
      }
      outcome.identity = 'enrolled';
      log.info(`Machine inscrite : ${outcome.machineId} (clé privée créée sur cette machine)`);
    } else {
      throw installerError('no_credentials', 'Aucun jeton ni certificat.', EXIT.noCredentials);
    }

    step('files');
    const source = request.sourceExe ?? platform.ownExecutable;
    if (!source)
      throw installerError(
        'no_executable',
        "L'exécutable de l'agent est introuvable.",
        EXIT.installFailed,
      );
    const before = await queryService(platform);
    await stopService(platform, log, deps.service);
    wasRunning = before?.state === 'running';
    installProgramFiles(platform, source);

    step('config');
    await secureDataDir(platform);
    try {
      loadAgentConfig(platform.paths.dataDir);
    } catch (error) {
      throw installerError(
        'config_invalid',
        `La configuration écrite est illisible : ${(error as Error).message}`,
        EXIT.installFailed,
      );
    }
    for (const command of uninstallEntryCommands(platform.paths, programSizeKb(platform))) {
      const result = await platform.runner.run(command.file, command.args);
      if (result.code !== 0)
        log.warn(
          `Entrée « Applications et fonctionnalités » incomplète (${describeFailure(result)})`,
        );
    }

    step('lhm');
    if (request.withLhm) {
      outcome.lhm = await installLhm({
        serverUrl,
        channel: request.channel,
        paths: platform.paths,
        path: platform.path,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      if (outcome.lhm.status === 'installed') {
        notice(
          'info',
          `LHM ${outcome.lhm.version} installé dans ${platform.paths.lhmDir}. Excluez ce dossier et lhm-wrapper.exe de l'analyse antivirus si besoin.`,
        );
      } else {
        notice(
          'warning',
          `LHM non installé (${outcome.lhm.reason}) : l'installation continue sans ; les températures viendront de WMI.`,
        );
      }
    } else {
      log.info('LHM non demandé : températures par WMI');
    }

    step('service');
    const service = await configureService(platform, log);
    log.info(
      service === 'created'
        ? "Service OptralisAgent créé (démarrage automatique, redémarrage en cas d'échec)"
        : 'Service OptralisAgent mis à jour',
    );

    step('start');
    await startService(platform, deps.service);
    const message = `Optralis Agent est installé et le service OptralisAgent fonctionne${outcome.machineId ? ` (machine ${outcome.machineId})` : ''}.`;
    log.info(message);
    return { ok: true, exitCode: EXIT.ok, code: 'installed', message, ...outcome };
  } catch (error) {
    const failure = error instanceof InstallerError ? error : fromEnrollmentError(error);
    log.error(`${failure.message} [${failure.code}]`);
    // A repair that failed midway must not leave the machine unmonitored: the agent that was
    // running before is started again (on whatever files are now in place).
    if (wasRunning && failure.code !== 'service_start_failed') {
      await startService(platform, deps.service).then(
        () => log.info('Le service OptralisAgent a été redémarré'),
        () => log.warn("Le service OptralisAgent n'a pas pu être redémarré"),
      );
    }
    return {
      ok: false,
      exitCode: failure.exitCode,
      code: failure.code,
      message: failure.message,
      ...outcome,
    };
  } finally {
    release?.();
  }
}
