import type path from 'node:path';
import { type AgentConfig, RELEASE_KEY_FILE } from '@optralis/protocol';
import { loadAgentConfig } from '../config';
import { certificateValidity } from '../crypto';
import { writeFileAtomic } from '../files';
import type { WindowsPaths } from '../windows/paths';
import type { Credentials } from './credentials';

/** An identity this machine already has: running the installer again keeps it. */
export interface ExistingIdentity {
  machineId: string | undefined;
  clientId: string | undefined;
  apiUrl: string;
  notAfter: Date;
}

/** A certificate this close to its end is not worth keeping: enroll again if a token is at hand. */
const KEEP_MARGIN_MS = 24 * 3600 * 1000;

/**
 * The identity in the data folder, when config.json, the certificate and the key are all
 * readable and the certificate is still valid for a day; undefined otherwise (first install,
 * damaged or expired: the installer enrolls again).
 */
export function existingIdentity(
  paths: Pick<WindowsPaths, 'dataDir'>,
  now: Date,
): ExistingIdentity | undefined {
  try {
    const loaded = loadAgentConfig(paths.dataDir);
    if (!loaded.tls) return undefined;
    const { notBefore, notAfter } = certificateValidity(loaded.tls.certificatePem);
    if (notAfter.getTime() - now.getTime() < KEEP_MARGIN_MS || notBefore > now) return undefined;
    return {
      machineId: loaded.config.machine_id,
      clientId: loaded.config.client_id,
      apiUrl: loaded.config.api_url,
      notAfter,
    };
  } catch {
    return undefined;
  }
}

/**
 * Installs a certificate issued beforehand (`-mtls-cert`/`-mtls-key`, or a personalized
 * installer in certificate mode): the files and config.json in the specification's format.
 * TODO: use the enrollment module's identity writer once the payload work is on main, so that
 * both write config.json in one place.
 */
export function importCertificate(
  paths: Pick<WindowsPaths, 'dataDir'>,
  p: path.PlatformPath,
  credentials: Extract<Credentials, { kind: 'certificate' }>,
  channel: 'stable' | 'beta',
): string {
  const certPath = p.join(paths.dataDir, 'client.crt');
  const keyPath = p.join(paths.dataDir, 'client.key');
  const caPath = p.join(paths.dataDir, 'ca.crt');
  writeFileAtomic(keyPath, credentials.keyPem, 0o600);
  writeFileAtomic(certPath, credentials.certificatePem, 0o644);
  if (credentials.caPem) writeFileAtomic(caPath, credentials.caPem, 0o644);
  const config: AgentConfig = {
    api_url: credentials.apiUrl,
    interval: 10,
    mtls_enabled: true,
    mtls_cert_path: certPath,
    mtls_key_path: keyPath,
    ...(credentials.caPem ? { ca_cert_path: caPath } : {}),
    ...(credentials.publicUrl ? { public_url: credentials.publicUrl } : {}),
    channel: credentials.channel ?? channel,
    ...(credentials.clientId ? { client_id: credentials.clientId } : {}),
    ...(credentials.machineId ? { machine_id: credentials.machineId } : {}),
  };
  const configFile = p.join(paths.dataDir, 'config.json');
  writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return configFile;
}

export const IDENTITY_FILES = [
  'config.json',
  'client.crt',
  'client.key',
  'ca.crt',
  RELEASE_KEY_FILE,
];
