import { setTimeout as sleep } from 'node:timers/promises';
import { heartbeatResponseSchema } from '@optralis/protocol';
import { backoffDelay } from './backoff';
import { loadAgentConfig } from './config';
import { AgentError } from './errors';
import { hostname, machineHardwareId } from './hardware';
import { buildInventory, readSystemFacts } from './inventory';
import type { AgentLog } from './log';
import { linuxCounters, NetworkMeter, windowsCounters } from './metrics/network';
import { Sampler } from './metrics/sampler';
import type { TemperatureSource } from './metrics/temperature';
import { linuxTemperatureSource } from './metrics/temperature-linux';
import { windowsTemperatureSource } from './metrics/temperature-windows';
import { currentArch, currentPlatform } from './platform';
import { type Failure, Reachability } from './reachability';
import { CertificateRenewal, completePendingSwap } from './renewal';
import { Telemetry } from './telemetry';
import { AgentTransport, describeError, type TlsMaterial } from './transport';
import { bundleSha256, readTrust, storeTrustBundle } from './trust';
import { Updater } from './update/updater';
import { AGENT_VERSION } from './version';
import { windowsPaths } from './windows/paths';

export interface RunOptions {
  configDir: string;
  once?: boolean;
  log: AgentLog;
  signal?: AbortSignal;
  /** Root of /proc and /sys for the Linux sensors (a fixture tree in tests). */
  sysRoot?: string;
  /** Replaces the machine's temperature sensors (tests). */
  temperature?: TemperatureSource;
  /** Called before the process exits on its own (an update rolled back): flush the log. */
  beforeExit?: () => Promise<void>;
}

const MAX_BACKOFF_MS = 5 * 60_000;

function temperatureSource(options: RunOptions): TemperatureSource {
  if (options.temperature) return options.temperature;
  if (currentPlatform() === 'windows') {
    const paths = windowsPaths();
    return windowsTemperatureSource({ lhmDir: paths.lhmDir, systemRoot: paths.systemRoot });
  }
  return linuxTemperatureSource(options.sysRoot);
}

function sampler(options: RunOptions): Sampler {
  const windows = currentPlatform() === 'windows';
  return new Sampler({
    temperature: temperatureSource(options),
    network: windows
      ? new NetworkMeter(windowsCounters(), 60_000)
      : new NetworkMeter(linuxCounters(options.sysRoot)),
    systemDisk: windows ? `${process.env.SystemDrive ?? 'C:'}\\` : '/',
    ...(options.sysRoot ? { sysRoot: options.sysRoot } : {}),
  });
}

/**
 * The service loop: a heartbeat every `interval` seconds over one kept-alive mTLS connection,
 * with the machine's readings; samples and the inventory after good heartbeats; the
 * certificate renewed at about two thirds of its life; the trust bundle replaced when the
 * server announces a new CA. The agent never exits because the server is away: it backs off
 * and logs the first failure and the recovery. With `once`, one heartbeat is sent and its
 * failure is the exit status.
 */
export async function runAgent(options: RunOptions): Promise<void> {
  const probe = loadAgentConfig(options.configDir);
  if (probe.config.mtls_enabled && probe.config.mtls_cert_path && probe.config.mtls_key_path) {
    completePendingSwap(probe.config.mtls_cert_path, probe.config.mtls_key_path);
  }
  const { config, tls } = loadAgentConfig(options.configDir);
  if (!tls || !config.mtls_cert_path || !config.mtls_key_path) {
    throw new AgentError(
      'mtls_disabled',
      'mtls_enabled is not true in config.json: the agent API accepts only mutual TLS',
      78,
    );
  }
  const { log } = options;
  const intervalMs = config.interval * 1000;
  const renewal = openRenewal({
    certPath: config.mtls_cert_path,
    keyPath: config.mtls_key_path,
    caPath: config.ca_cert_path,
    log,
    intervalMs,
  });
  const transport = openTransport(config.api_url, tls, config.mtls_key_path);
  log.info('agent started', {
    version: AGENT_VERSION,
    api_url: config.api_url,
    interval: config.interval,
    certificate_expires: new Date(renewal.schedule.notAfter).toISOString(),
  });
  if (renewal.schedule.notAfter <= Date.now()) {
    log.error('the machine certificate has expired; enroll this machine again');
  }
  // Self-update: confirms a pending update, applies signed offers (see update/).
  const updates = new Updater({
    configDir: options.configDir,
    log,
    apply: !options.once,
    exit: (code) => {
      void (options.beforeExit?.() ?? Promise.resolve()).finally(() => process.exit(code));
    },
  });
  updates.start();
  const telemetry = new Telemetry({
    sampler: sampler(options),
    log,
    postEveryMs: (config.collectors_interval ?? 60) * 1000,
    collectInventory: async () =>
      buildInventory(await readSystemFacts(), {
        hostname: hostname(),
        hardwareId: machineHardwareId(),
        platform: currentPlatform(),
        now: new Date(),
      }),
  });
  const reachability = new Reachability(log);
  let trust = readTrust(config.ca_cert_path);
  let material: TlsMaterial = tls;
  let refusedBundle: string | undefined;

  try {
    while (!options.signal?.aborted) {
      const readings = await telemetry.tick();
      const outcome = await sendHeartbeat(transport, {
        version: AGENT_VERSION,
        platform: currentPlatform(),
        arch: currentArch(),
        ...readings,
        ...updates.heartbeatFields(),
        ...(trust ? { ca_bundle_sha256: trust.sha256 } : {}),
      });
      if (outcome.ok) {
        reachability.succeeded();
        const answer = heartbeatResponseSchema.safeParse(outcome.body);
        const offered = answer.success ? answer.data.ca_bundle : undefined;
        if (offered && config.ca_cert_path && bundleSha256(offered) !== refusedBundle) {
          try {
            const count = storeTrustBundle(config.ca_cert_path, offered);
            trust = readTrust(config.ca_cert_path);
            material = { ...material, caPem: trust?.pem };
            transport.reload(material);
            log.info('stored the new CA trust bundle', { certificates: count });
          } catch (error) {
            // Said once: the server sends the same bundle with every answer until it changes.
            refusedBundle = bundleSha256(offered);
            log.warn('refused the trust bundle the server sent', {
              reason: (error as Error).message,
            });
          }
        }
        if (answer.success && answer.data.renew) renewal.requestNow();
        await updates.afterHeartbeat(outcome.body);
        if (!options.once && renewal.due()) {
          const renewed = await renewal.renew(transport).catch((error: unknown) => {
            log.warn('certificate renewal failed', { reason: (error as Error).message });
            return undefined;
          });
          if (renewed) {
            material = renewed;
            trust = readTrust(config.ca_cert_path);
            transport.reload(material);
          }
        }
        if (!options.once) await telemetry.sendDue(transport);
      } else {
        reachability.failed(outcome);
        if (options.once) {
          const reason = outcome.kind === 'refused' ? describe(outcome) : outcome.reason;
          throw new AgentError(outcome.code, reason, 69);
        }
      }
      if (options.once) return;

      const failures = reachability.consecutiveFailures;
      const waitMs =
        failures === 0
          ? intervalMs
          : backoffDelay(failures, { baseMs: intervalMs, capMs: MAX_BACKOFF_MS });
      await sleep(waitMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
    // Stopping (service stop): the samples taken since the last post go now if they can.
    await telemetry.flush(transport).catch(() => undefined);
  } finally {
    updates.stop();
    transport.close();
  }
}

/** The renewal plan, which reads the certificate: one that does not parse stops the start. */
function openRenewal(options: ConstructorParameters<typeof CertificateRenewal>[0]) {
  try {
    return new CertificateRenewal(options);
  } catch {
    throw new AgentError(
      'certificate_unreadable',
      `the client certificate ${options.certPath} is not a valid certificate`,
      78,
    );
  }
}

/** The connection's TLS context: a key that does not parse or fit the certificate stops the start. */
function openTransport(apiUrl: string, tls: TlsMaterial, keyPath: string): AgentTransport {
  try {
    return new AgentTransport(apiUrl, tls);
  } catch (error) {
    throw new AgentError(
      'certificate_unreadable',
      `the client key ${keyPath} cannot be used with the certificate (${(error as Error).message})`,
      78,
    );
  }
}

type Outcome = { ok: true; body: unknown } | ({ ok: false; code: string } & Failure);

async function sendHeartbeat(transport: AgentTransport, body: object): Promise<Outcome> {
  try {
    const response = await transport.postJson('/heartbeat', body);
    if (response.status === 200) return { ok: true, body: response.body };
    const error = describeError(response);
    // A 4xx is the server's (or its proxy's) answer about this request; a 5xx is a server that
    // cannot serve now, like one that is away.
    if (response.status >= 400 && response.status < 500) {
      return { ok: false, kind: 'refused', status: response.status, ...error };
    }
    return { ok: false, kind: 'unreachable', code: error.code, reason: describe(error) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'network_error';
    return { ok: false, kind: 'unreachable', code, reason: `${code}: ${(error as Error).message}` };
  }
}

function describe(error: { code: string; message: string }): string {
  return `${error.code}: ${error.message}`;
}
