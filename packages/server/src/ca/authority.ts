import fs from 'node:fs';
import path from 'node:path';
import {
  EC_P256,
  exportPrivateKeyPem,
  importEcPrivateKeyPem,
  randomSerial,
  subtle,
  x509,
} from './x509';

export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';
export const CA_BUNDLE_FILE = 'ca-bundle.crt';
/** The CA being replaced during a rotation, still trusted until `ca retire`. */
export const PREVIOUS_DIR = 'previous';
const CA_LIFETIME_YEARS = 10;

/** The loaded certificate authority that signs every machine certificate. */
export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  certificatePem: string;
  privateKey: CryptoKey;
}

export type CaInitResult =
  | { status: 'created'; dir: string; backup?: string | undefined; notAfter: Date }
  | { status: 'exists'; dir: string };

export function caExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, CA_KEY_FILE)) || fs.existsSync(path.join(dir, CA_CERT_FILE));
}

/**
 * Creates the CA (ECDSA P-256, 10 years). An existing CA is never touched unless `force` is set;
 * then the old files are first copied aside with a date suffix.
 */
export async function initCa(
  dir: string,
  options: { force?: boolean; now?: Date; name?: string } = {},
): Promise<CaInitResult> {
  const now = options.now ?? new Date();
  if (caExists(dir) && !options.force) return { status: 'exists', dir };

  const made = await makeCa(now, options.name);
  // Everything is made before anything is written, so a failure leaves the old CA in place.
  const backup = caExists(dir) ? backUpCa(dir, now) : undefined;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A forced re-initialisation trusts only the new CA: every agent must be reinstalled.
  fs.rmSync(path.join(dir, PREVIOUS_DIR), { recursive: true, force: true });
  writeCaFiles(dir, made);
  writeTrustBundle(dir);
  return { status: 'created', dir, backup, notAfter: made.notAfter };
}

/** A new CA key and self-signed certificate, in memory. */
export async function makeCa(now: Date, name?: string) {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_LIFETIME_YEARS);
  const serialNumber = randomSerial();
  const stamp = now.toISOString().slice(0, 10);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    // Date and serial keep the names of successive CAs apart, so issuers are never confused.
    name: `CN=${name ?? `Optralis Agent CA ${stamp} ${serialNumber.slice(0, 8)}`}, O=Optralis`,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter,
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    notAfter,
  };
}

export function writeCaFiles(dir: string, ca: { certificatePem: string; keyPem: string }): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(path.join(dir, CA_KEY_FILE), ca.keyPem, 0o600);
  writeFileAtomic(path.join(dir, CA_CERT_FILE), `${ca.certificatePem.trim()}\n`, 0o644);
}

/**
 * `ca-bundle.crt`: every CA whose machine certificates are accepted, the active one first. The
 * proxy trusts it (Caddy's `trusted_ca_cert_file`) and agents receive it during a rotation.
 */
export function writeTrustBundle(dir: string): string {
  const pems = [path.join(dir, CA_CERT_FILE), path.join(dir, PREVIOUS_DIR, CA_CERT_FILE)]
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, 'utf8').trim());
  const bundle = `${pems.join('\n')}\n`;
  writeFileAtomic(path.join(dir, CA_BUNDLE_FILE), bundle, 0o644);
  return bundle;
}

export async function loadCa(dir: string): Promise<CertificateAuthority> {
  const certificatePem = fs.readFileSync(path.join(dir, CA_CERT_FILE), 'utf8');
  const keyPem = fs.readFileSync(path.join(dir, CA_KEY_FILE), 'utf8');
  return {
    certificate: new x509.X509Certificate(certificatePem),
    certificatePem: certificatePem.trim().concat('\n'),
    privateKey: await importEcPrivateKeyPem(keyPem),
  };
}

function backUpCa(dir: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  let backup = `${dir.replace(/\/+$/, '')}.backup.${stamp}`;
  for (let n = 2; fs.existsSync(backup); n += 1) backup = `${backup.replace(/\.\d+$/, '')}.${n}`;
  fs.cpSync(dir, backup, { recursive: true, preserveTimestamps: true });
  return backup;
}

export function writeFileAtomic(file: string, content: string | Buffer, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode });
  fs.chmodSync(temporary, mode);
  fs.renameSync(temporary, file);
}
