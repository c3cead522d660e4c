import fs from 'node:fs';
import path from 'node:path';
import {
  agentConfigSchema,
  RELEASE_KEY_FILE,
  type ReleaseKeyInfo,
  releaseKeyInfoSchema,
} from '@optralis/protocol';
import {
  type InstallerPayload,
  PAYLOAD_FILES,
  payloadConfigSchema,
} from '@optralis/protocol/installer-payload';
import { checkCertificatePair } from '../crypto';
import { EXIT, installerError } from './errors';

/** How this machine gets its identity. */
export type Credentials =
  | {
      kind: 'token';
      token: string;
      /** The public URL of the server, where bootstrap is. */
      serverUrl: string;
      source: 'payload' | 'file' | 'stdin' | 'environment' | 'form';
      /** Set when the token is a personalized installer's: enrollment pins its CA and key. */
      payload?: InstallerPayload | undefined;
    }
  | {
      kind: 'certificate';
      certificatePem: string;
      keyPem: string;
      caPem: string;
      /** The key that signs update offers: without it the agent accepts no update. */
      releaseKey?: ReleaseKeyInfo | undefined;
      apiUrl: string;
      publicUrl?: string | undefined;
      channel?: 'stable' | 'beta' | undefined;
      clientId?: string | undefined;
      machineId?: string | undefined;
      source: 'payload' | 'files';
      payload?: InstallerPayload | undefined;
    };

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/;

function readPemFile(file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw installerError(
      'credentials_unreadable',
      `Impossible de lire ${what} ${file} (${reason}).`,
      EXIT.badCredentials,
    );
  }
  if (!PEM.test(text) || text.length > 64 * 1024) {
    throw installerError(
      'credentials_unreadable',
      `${what} ${file} n'est pas un fichier PEM.`,
      EXIT.badCredentials,
    );
  }
  return text;
}

/** release-key.json beside the certificate; undefined when the server had none to give. */
function readReleaseKeyFile(file: string): ReleaseKeyInfo | undefined {
  if (!fs.existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    value = undefined;
  }
  const parsed = releaseKeyInfoSchema.safeParse(value);
  if (!parsed.success) {
    throw installerError(
      'credentials_unreadable',
      `${file} n'est pas une clé de publication Optralis : reprenez les fichiers de l'archive.`,
      EXIT.badCredentials,
    );
  }
  return parsed.data;
}

function readAgentConfig(dir: string) {
  const configFile = path.join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(configFile, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw installerError(
      'config_missing',
      `config.json est introuvable ou illisible à côté du certificat (${configFile}) : il donne l'adresse de l'API des agents. Gardez les fichiers de l'archive ensemble.`,
      EXIT.badCredentials,
    );
  }
  const config = agentConfigSchema.partial({ interval: true }).safeParse(raw);
  if (!config.success) {
    throw installerError(
      'config_invalid',
      `${configFile} n'a pas d'api_url valide.`,
      EXIT.badCredentials,
    );
  }
  return config.data;
}

const PAIR_PROBLEMS = {
  key_mismatch: (cert: string, key: string) =>
    `La clé privée ${key} n'est pas celle du certificat ${cert}.`,
  not_issued_by_ca: (cert: string) =>
    `Le certificat ${cert} n'a pas été émis par l'autorité de ca.crt posé à côté : reprenez les fichiers de la même archive.`,
} as const;

/**
 * The certificate and key given with `-mtls-cert` and `-mtls-key` (what the dashboard's ZIP
 * holds). The agent API's URL, the CA and the release key come from `config.json`, `ca.crt`
 * and `release-key.json` beside the certificate, as the ZIP lays them out. The key must be
 * the certificate's and the certificate must chain to that CA.
 */
export function certificateFromFiles(certFile: string, keyFile: string): Credentials {
  const certificatePem = readPemFile(certFile, 'le certificat');
  const keyPem = readPemFile(keyFile, 'la clé privée');
  if (!certificatePem.includes('CERTIFICATE-----')) {
    throw installerError(
      'credentials_unreadable',
      `${certFile} ne contient pas de certificat.`,
      EXIT.badCredentials,
    );
  }
  if (!keyPem.includes('PRIVATE KEY-----')) {
    throw installerError(
      'credentials_unreadable',
      `${keyFile} ne contient pas de clé privée.`,
      EXIT.badCredentials,
    );
  }
  const dir = path.dirname(path.resolve(certFile));
  const config = readAgentConfig(dir);
  const caPem = readPemFile(path.join(dir, 'ca.crt'), 'le certificat de la CA');
  const releaseKey = readReleaseKeyFile(path.join(dir, RELEASE_KEY_FILE));

  let problem: ReturnType<typeof checkCertificatePair>;
  try {
    problem = checkCertificatePair(certificatePem, keyPem, caPem);
  } catch {
    problem = 'key_mismatch';
  }
  if (problem) {
    throw installerError(
      problem === 'key_mismatch' ? 'certificate_key_mismatch' : 'certificate_not_from_ca',
      PAIR_PROBLEMS[problem](certFile, keyFile),
      EXIT.badCredentials,
    );
  }
  return {
    kind: 'certificate',
    certificatePem,
    keyPem,
    caPem,
    releaseKey,
    apiUrl: config.api_url,
    publicUrl: config.public_url,
    channel: config.channel,
    clientId: config.client_id,
    machineId: config.machine_id,
    source: 'files',
  };
}

/** The payload's token or certificate. */
export function credentialsFromPayload(payload: InstallerPayload): Credentials {
  const { config } = payload;
  if (config.mode === 'certificate' && payload.clientCert && payload.clientKey) {
    return {
      kind: 'certificate',
      certificatePem: payload.clientCert,
      keyPem: payload.clientKey,
      caPem: payload.caCert,
      releaseKey: payload.releaseKey,
      apiUrl: config.api_url,
      publicUrl: config.public_url,
      channel: config.channel,
      clientId: config.client_id,
      machineId: config.machine_id,
      source: 'payload',
      payload,
    };
  }
  if (!payload.token) {
    throw installerError(
      'payload_damaged',
      "L'installeur personnalisé ne contient ni jeton ni certificat.",
      EXIT.badCredentials,
    );
  }
  return {
    kind: 'token',
    token: payload.token,
    serverUrl: config.public_url,
    source: 'payload',
    payload,
  };
}

/** A token read from a file (`-` for standard input): one line, surrounding blanks dropped. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw installerError(
      'token_unreadable',
      `Impossible de lire le jeton dans ${file === '-' ? "l'entrée standard" : file} (${reason}).`,
      EXIT.badCredentials,
    );
  }
  const token = text.replace(/^\uFEFF/, '').trim();
  if (!token || token.length > 256 || /\s/.test(token)) {
    throw installerError(
      'token_unreadable',
      `${file === '-' ? "L'entrée standard" : file} ne contient pas un jeton d'installation.`,
      EXIT.badCredentials,
    );
  }
  return token;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * The fallback ZIP's files beside a token file (`-token-file`, as its install.ps1 runs the
 * installer): its config.json in token mode for this server, then ca.crt and release-key.json,
 * which enrollment pins as it does a personalized executable's. Undefined when the token file
 * is not in such a folder (a token saved by hand): nothing is pinned then.
 */
export function fallbackZipBeside(
  tokenFile: string,
  token: string,
  serverUrl: string,
): InstallerPayload | undefined {
  if (tokenFile === '-') return undefined;
  const dir = path.dirname(path.resolve(tokenFile));
  let raw: unknown;
  try {
    raw = JSON.parse(
      fs.readFileSync(path.join(dir, PAYLOAD_FILES.config), 'utf8').replace(/^\uFEFF/, ''),
    );
  } catch {
    return undefined;
  }
  const config = payloadConfigSchema.safeParse(raw);
  if (!config.success || config.data.mode !== 'token') return undefined;
  if (!sameOrigin(config.data.public_url, serverUrl)) return undefined;
  return {
    config: config.data,
    caCert: readPemFile(path.join(dir, PAYLOAD_FILES.ca), 'le certificat de la CA'),
    token,
    releaseKey: readReleaseKeyFile(path.join(dir, RELEASE_KEY_FILE)),
  };
}
