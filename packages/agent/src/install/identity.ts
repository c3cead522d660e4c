import { RELEASE_KEY_FILE } from '@optralis/protocol';
import { loadAgentConfig } from '../config';
import { certificateValidity } from '../crypto';
import { writeIdentity } from '../enroll';
import type { WindowsPaths } from '../windows/paths';
import type { Credentials } from './credentials';

/** An identity this machine already has: running the installer again keeps it. */
export interface ExistingIdentity {
  machineId: string | undefined;
  clientId: string | undefined;
  apiUrl: string;
  publicUrl: string | undefined;
  notAfter: Date;
  tls: { certificatePem: string; keyPem: string; caPem?: string | undefined };
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
      publicUrl: loaded.config.public_url,
      notAfter,
      tls: loaded.tls,
    };
  } catch {
    return undefined;
  }
}

/**
 * Installs a certificate issued beforehand (`-mtls-cert`/`-mtls-key`, or a personalized
 * installer in certificate mode) with the CA and the release key that came with it, through
 * the writer enrollment uses: config.json in the specification's format, in one place.
 */
export function importCertificate(
  paths: Pick<WindowsPaths, 'dataDir'>,
  credentials: Extract<Credentials, { kind: 'certificate' }>,
  channel: 'stable' | 'beta',
): string {
  return writeIdentity({
    configDir: paths.dataDir,
    certificatePem: credentials.certificatePem,
    keyPem: credentials.keyPem,
    caPem: credentials.caPem,
    releaseKey: credentials.releaseKey,
    config: {
      api_url: credentials.apiUrl,
      interval: 10,
      ...(credentials.publicUrl ? { public_url: credentials.publicUrl } : {}),
      channel,
      ...(credentials.clientId ? { client_id: credentials.clientId } : {}),
      ...(credentials.machineId ? { machine_id: credentials.machineId } : {}),
    },
  });
}

export const IDENTITY_FILES = [
  'config.json',
  'client.crt',
  'client.key',
  'ca.crt',
  RELEASE_KEY_FILE,
];
