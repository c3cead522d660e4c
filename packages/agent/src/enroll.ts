import fs from 'node:fs';
import path from 'node:path';
import {
  type AgentConfig,
  type BootstrapRequestInput,
  bootstrapResponseSchema,
  type Channel,
  RELEASE_KEY_FILE,
} from '@optralis/protocol';
import { CONFIG_FILE } from './config';
import { createKeyAndRequest } from './crypto';
import { AgentError } from './errors';
import { writeFileAtomic } from './files';
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
  /** The release channel the machine follows; the server keeps a reinstall's otherwise. */
  channel?: Channel | undefined;
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
  const { privateKeyPem, csrPem } = await createKeyAndRequest('optralis-agent');
  const request: BootstrapRequestInput = {
    token: options.token,
    hostname: options.hostname ?? hostname(),
    arch: currentArch(),
    platform: currentPlatform(),
    csr: csrPem,
  };
  if (options.channel) request.channel = options.channel;
  const hardwareId = options.hardwareId ?? machineHardwareId();
  if (hardwareId) request.hardware_id = hardwareId;

  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/public/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new AgentError(
      'server_unreachable',
      `cannot reach ${baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      69,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AgentError(
      'bad_response',
      `${baseUrl} answered HTTP ${response.status}, not JSON`,
      76,
    );
  }
  if (!response.ok) {
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

  const dir = path.resolve(options.configDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = path.join(dir, 'client.crt');
  const keyPath = path.join(dir, 'client.key');
  const caPath = path.join(dir, 'ca.crt');
  writeFileAtomic(keyPath, answer.private_key ?? privateKeyPem, 0o600);
  writeFileAtomic(certPath, answer.certificate, 0o644);
  writeFileAtomic(caPath, answer.ca_cert, 0o644);
  // The key that signs update offers: without it the agent accepts no update.
  if (answer.release_key) {
    const keyFile = path.join(dir, RELEASE_KEY_FILE);
    writeFileAtomic(keyFile, `${JSON.stringify(answer.release_key, null, 2)}\n`, 0o644);
  }

  const config: AgentConfig = {
    api_url: answer.api_url,
    interval: options.interval ?? 10,
    mtls_enabled: true,
    mtls_cert_path: certPath,
    mtls_key_path: keyPath,
    ca_cert_path: caPath,
    public_url: answer.public_url,
    channel: answer.channel === 'beta' ? 'beta' : 'stable',
    client_id: answer.client_id,
    machine_id: answer.machine_id,
  };
  const configFile = path.join(dir, CONFIG_FILE);
  writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return {
    clientId: answer.client_id,
    machineId: answer.machine_id,
    configFile,
    binaryUrl: answer.binary_url,
  };
}
