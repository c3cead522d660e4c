import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  CatalogueStatement,
  ReleaseKeyInfo,
  ReleaseStatement,
  SignedStatement,
} from '@optralis/protocol';
import type { Logger } from 'pino';

export const RELEASE_PRIVATE_KEY_FILE = 'release.key';
export const RELEASE_PUBLIC_KEY_FILE = 'release.pub';

/**
 * The release signing key: ed25519, kept apart from the CA so that whoever holds the CA (or a
 * proxy that terminates TLS) still cannot make an agent install a file the release key did
 * not approve.
 */
export interface ReleaseKey {
  privateKey: crypto.KeyObject;
  info: ReleaseKeyInfo;
}

export type ReleaseKeyInit =
  | { status: 'created'; dir: string; keyId: string }
  | { status: 'exists'; dir: string; keyId: string };

export function keyIdOf(publicKey: crypto.KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function infoOf(publicKey: crypto.KeyObject): ReleaseKeyInfo {
  return {
    algorithm: 'ed25519',
    public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    key_id: keyIdOf(publicKey),
  };
}

/**
 * Creates the key pair in `dir` unless one is there. The private key is written with an
 * exclusive create, so two servers starting together on one shared directory keep one key.
 */
export function initReleaseKey(dir: string): ReleaseKeyInit {
  const privateFile = path.join(dir, RELEASE_PRIVATE_KEY_FILE);
  if (fs.existsSync(privateFile)) {
    return { status: 'exists', dir, keyId: loadReleaseKey(dir).info.key_id };
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    fs.writeFileSync(privateFile, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { status: 'exists', dir, keyId: loadReleaseKey(dir).info.key_id };
  }
  fs.chmodSync(privateFile, 0o600);
  const info = infoOf(publicKey);
  fs.writeFileSync(path.join(dir, RELEASE_PUBLIC_KEY_FILE), info.public_key, { mode: 0o644 });
  return { status: 'created', dir, keyId: info.key_id };
}

/** Reads the key; the public half is derived from the private one, never trusted from disk. */
export function loadReleaseKey(dir: string): ReleaseKey {
  const pem = fs.readFileSync(path.join(dir, RELEASE_PRIVATE_KEY_FILE), 'utf8');
  const privateKey = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${RELEASE_PRIVATE_KEY_FILE} is not an ed25519 key`);
  }
  return { privateKey, info: infoOf(crypto.createPublicKey(privateKey)) };
}

/** Opens the release key at start-up, creating it on the very first start. */
export function openReleaseKey(dir: string, log: Logger): ReleaseKey {
  const made = initReleaseKey(dir);
  if (made.status === 'created') {
    log.info(
      { releaseKeyDir: dir, keyId: made.keyId },
      'created the release signing key; back it up',
    );
  }
  return loadReleaseKey(dir);
}

export type { SignedStatement };

/** Signs the exact JSON text that the agent will parse after checking the signature. */
export function signStatement(
  key: ReleaseKey,
  statement: ReleaseStatement | CatalogueStatement,
): SignedStatement {
  const text = JSON.stringify(statement);
  const signature = crypto.sign(null, Buffer.from(text, 'utf8'), key.privateKey);
  return { statement: text, signature: signature.toString('base64'), key_id: key.info.key_id };
}
