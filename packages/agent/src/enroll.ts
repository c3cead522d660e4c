import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type AgentConfig,
  type BootstrapRequestInput,
  bootstrapResponseSchema,
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  RELEASE_KEY_FILE,
  type ReleaseKeyInfo,
} from '@optralis/protocol';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { CONFIG_FILE } from './config';
import { createKeyAndRequest } from './crypto';
import {
  type EnrollAnswer,
  postEnrollment,
  type RetryNotice,
  type RetryPolicy,
} from './enroll-post';
import { AgentError } from './errors';
import { makeDirectory, writeFileAtomic } from './files';
import { hostname, machineHardwareId } from './hardware';
import { currentArch, currentPlatform } from './platform';

export interface EnrollOptions {
  /** The public URL of the server (dashboard/public API), where bootstrap lives. */
  url: string;
  token: string;
  configDir: string;
  hardwareId?: string | undefined;
  hostname?: string | undefined;
  interval?: number;
  /** Ask the server to put the machine on this release channel (stable when absent). */
  channel?: 'stable' | 'beta' | undefined;
  /**
   * The CA a personalized installer carries. When set, the answer must name it among the
   * server's CAs, and it alone is written as `ca.crt`: the agent API is trusted through what the
   * installer brought, not through an answer that may have crossed an untrusted network.
   */
  pinnedCaPem?: string | undefined;
  /** The release key a personalized installer carries; the answer must carry the same. */
  pinnedReleaseKey?: ReleaseKeyInfo | undefined;
  /** How lost answers, timeouts, 429 and 5xx are retried (with the same key and CSR). */
  retry?: RetryPolicy | undefined;
  /** Told before each new attempt, to keep the operator informed. */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
}

export interface EnrollResult {
  clientId: string;
  machineId: string;
  configFile: string;
  binaryUrl: string | null;
}

/**
 * Enrolls this machine: key pair and CSR made here, token traded for a certificate, then
 * `client.crt`, `client.key` (0600), `ca.crt` and `config.json` written in the config directory.
 * The private key never leaves the machine.
 */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const baseUrl = options.url.replace(/\/+$/, '');
  // Everything that can fail on this machine fails before the token is spent.
  const pendingKeyFile = prepareConfigDir(options.configDir);
  const { privateKeyPem, csrPem } = await pendingKeyAndRequest(pendingKeyFile);
  const request: BootstrapRequestInput = {
    token: options.token,
    hostname: options.hostname ?? hostname(),
    arch: currentArch(),
    platform: currentPlatform(),
    csr: csrPem,
  };
  const hardwareId = options.hardwareId ?? machineHardwareId();
  if (hardwareId) request.hardware_id = hardwareId;
  if (options.channel) request.channel = options.channel;
  // Named before the token is spent: a server that no longer trusts this CA refuses at once.
  if (options.pinnedCaPem !== undefined) request.ca_sha256 = pinnedCaSha256(options.pinnedCaPem);

  // The key and CSR are made once: every attempt sends the same request, so that an answer lost
  // after the server enrolled the machine is asked again without spending another token use.
  let response: EnrollAnswer;
  try {
    response = await postEnrollment(`${baseUrl}/api/public/bootstrap`, JSON.stringify(request), {
      policy: options.retry,
      onRetry: options.onRetry,
      pinnedCaPem: options.pinnedCaPem,
    });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError('server_unreachable', `cannot reach ${baseUrl}: ${reason}`, 69);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new AgentError(
      'bad_response',
      `${baseUrl} answered HTTP ${response.status}, not JSON`,
      76,
    );
  }
  if (response.status < 200 || response.status >= 300) {
    // A refusal enrolled nothing: the next try starts with a new key.
    if (response.status < 500 && response.status !== 429) {
      fs.rmSync(pendingKeyFile, { force: true });
    }
    const error = (body as { error?: { code?: string; message?: string } }).error;
    throw new AgentError(
      error?.code ?? `http_${response.status}`,
      `enrollment refused: ${error?.message ?? `HTTP ${response.status}`}`,
      77,
    );
  }
  const parsed = bootstrapResponseSchema.safeParse(body);
  if (!parsed.success)
    throw new AgentError('bad_response', 'the enrollment answer is malformed', 76);
  const answer = parsed.data;

  const caPem = options.pinnedCaPem ?? answer.ca_cert;
  if (
    options.pinnedCaPem !== undefined &&
    !sharesCertificate(options.pinnedCaPem, answer.ca_cert)
  ) {
    fs.rmSync(pendingKeyFile, { force: true });
    throw new AgentError(
      'ca_mismatch',
      "the server's certificate authority is not the one this installer was made for " +
        '(it was replaced); download a new installer',
      77,
    );
  }
  const releaseKey = options.pinnedReleaseKey ?? answer.release_key;
  if (options.pinnedReleaseKey && answer.release_key?.key_id !== options.pinnedReleaseKey.key_id) {
    fs.rmSync(pendingKeyFile, { force: true });
    throw new AgentError(
      'release_key_mismatch',
      'the server signs updates with another key than the one this installer was made for; ' +
        'download a new installer',
      77,
    );
  }

  const configFile = writeIdentity({
    configDir: options.configDir,
    certificatePem: answer.certificate,
    keyPem: answer.private_key ?? privateKeyPem,
    caPem,
    releaseKey,
    config: {
      api_url: answer.api_url,
      interval: options.interval ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
      public_url: answer.public_url,
      channel: answer.channel === 'beta' ? 'beta' : 'stable',
      client_id: answer.client_id,
      machine_id: answer.machine_id,
    },
  });
  fs.rmSync(pendingKeyFile, { force: true });
  return {
    clientId: answer.client_id,
    machineId: answer.machine_id,
    configFile,
    binaryUrl: answer.binary_url,
  };
}

/** The key of an enrollment whose answer has not arrived yet, kept beside the configuration. */
export const PENDING_KEY_FILE = 'enroll-pending.key';

/**
 * Makes the configuration directory (0700) and checks that files can be written in it, so that
 * an answer is never received with nowhere to keep it. Returns the pending key's path.
 */
function prepareConfigDir(configDir: string): string {
  const dir = path.resolve(configDir);
  const probe = path.join(dir, `.write-check.${process.pid}`);
  try {
    makeDirectory(dir, 0o700);
    fs.writeFileSync(probe, '', { mode: 0o600 });
    fs.rmSync(probe);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError(
      'config_dir_unwritable',
      `cannot write the machine's identity in ${dir} (${reason}); nothing was sent and the ` +
        'token is unspent: run as an administrator or choose another --config-dir',
      73,
    );
  }
  return path.join(dir, PENDING_KEY_FILE);
}

/**
 * The key pair and CSR of this enrollment. The key is written (0600) before the request is sent
 * and removed once the identity is written: when an answer is lost, or the process stops while
 * waiting for it, running `enroll` again with the same token sends the same request, which the
 * server answers again without spending another use. A refusal, or an answer this installer
 * refuses (another CA or release key), removes it: nothing is left behind. A pending key that
 * cannot be read is replaced by a new one.
 */
async function pendingKeyAndRequest(pendingKeyFile: string) {
  let existing: string | undefined;
  try {
    existing = fs.readFileSync(pendingKeyFile, 'utf8');
  } catch {
    existing = undefined;
  }
  if (existing !== undefined) {
    try {
      return await createKeyAndRequest('optralis-agent', existing);
    } catch {
      // Damaged: a new key is made below, as for a first enrollment.
    }
  }
  const made = await createKeyAndRequest('optralis-agent');
  writeFileAtomic(pendingKeyFile, made.privateKeyPem, 0o600);
  return made;
}

export interface Identity {
  configDir: string;
  certificatePem: string;
  keyPem: string;
  caPem: string;
  releaseKey: ReleaseKeyInfo | undefined;
  config: Omit<AgentConfig, 'mtls_enabled' | 'mtls_cert_path' | 'mtls_key_path' | 'ca_cert_path'>;
}

/**
 * Writes `client.key` (0600), `client.crt`, `ca.crt`, the release key and `config.json` (last,
 * so that a config file always names files that exist). Returns the config file's path.
 */
export function writeIdentity(identity: Identity): string {
  const dir = path.resolve(identity.configDir);
  makeDirectory(dir, 0o700);
  const certPath = path.join(dir, 'client.crt');
  const keyPath = path.join(dir, 'client.key');
  const caPath = path.join(dir, 'ca.crt');
  writeFileAtomic(keyPath, identity.keyPem, 0o600);
  writeFileAtomic(certPath, identity.certificatePem, 0o644);
  writeFileAtomic(caPath, identity.caPem, 0o644);
  // The key that signs update offers: without it the agent accepts no update.
  if (identity.releaseKey) {
    const keyFile = path.join(dir, RELEASE_KEY_FILE);
    writeFileAtomic(keyFile, `${JSON.stringify(identity.releaseKey, null, 2)}\n`, 0o644);
  }
  // The specification's order: URL, interval, then the mTLS settings.
  const { api_url, interval, ...rest } = identity.config;
  const config: AgentConfig = {
    api_url,
    interval,
    mtls_enabled: true,
    mtls_cert_path: certPath,
    mtls_key_path: keyPath,
    ca_cert_path: caPath,
    ...rest,
  };
  const configFile = path.join(dir, CONFIG_FILE);
  writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return configFile;
}

/** The base64 bodies of the PEM certificates in `pem`, without line breaks. */
function certificateBodies(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => block.replace(/-----[A-Z ]+-----|\s/g, ''));
}

/** SHA-256 of the DER of the first (issuing) CA in `pem`, as the bootstrap request names it. */
function pinnedCaSha256(pem: string): string {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)?.[0];
  try {
    if (!first) throw new Error('no certificate');
    return new X509Certificate(first).fingerprint256.replaceAll(':', '').toLowerCase();
  } catch {
    throw new AgentError('ca_unreadable', 'the CA file holds no readable certificate', 65);
  }
}

function sharesCertificate(pinned: string, offered: string): boolean {
  const offeredBodies = new Set(certificateBodies(offered));
  return certificateBodies(pinned).some((body) => offeredBodies.has(body));
}

export interface PayloadEnrollOptions {
  configDir: string;
  hostname?: string | undefined;
  hardwareId?: string | undefined;
  /** Token mode: the channel to ask for (`-beta`); the server's choice when absent. */
  channel?: 'stable' | 'beta' | undefined;
}

/**
 * Enrolls with what a personalized installer carries: in token mode, trades its token at its
 * public URL with its CA and release key pinned; in certificate mode, installs the certificate
 * and key it brings, without asking the server anything.
 */
export async function enrollFromPayload(
  payload: InstallerPayload,
  options: PayloadEnrollOptions,
): Promise<EnrollResult> {
  const { config } = payload;
  if (config.mode === 'token' && payload.token) {
    return enroll({
      url: config.public_url,
      token: payload.token,
      configDir: options.configDir,
      hostname: options.hostname,
      hardwareId: options.hardwareId,
      channel: options.channel,
      pinnedCaPem: payload.caCert,
      pinnedReleaseKey: payload.releaseKey,
    });
  }
  if (!payload.clientCert || !payload.clientKey || !config.machine_id) {
    throw new AgentError(
      'payload_damaged',
      'the installer payload has no token and no certificate',
      65,
    );
  }
  const configFile = writeIdentity({
    configDir: options.configDir,
    certificatePem: payload.clientCert,
    keyPem: payload.clientKey,
    caPem: payload.caCert,
    releaseKey: payload.releaseKey,
    config: {
      api_url: config.api_url,
      interval: DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
      public_url: config.public_url,
      channel: config.channel,
      client_id: config.client_id,
      machine_id: config.machine_id,
    },
  });
  return { clientId: config.client_id, machineId: config.machine_id, configFile, binaryUrl: null };
}
