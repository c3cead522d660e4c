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

  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_LIFETIME_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${options.name ?? 'Optralis Agent CA'}, O=Optralis`,
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
  const keyPem = await exportPrivateKeyPem(keys.privateKey);

  // Everything is made before anything is written, so a failure leaves the old CA in place.
  const backup = caExists(dir) ? backUpCa(dir, now) : undefined;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(path.join(dir, CA_KEY_FILE), keyPem, 0o600);
  writeFileAtomic(path.join(dir, CA_CERT_FILE), certificate.toString('pem'), 0o644);
  return { status: 'created', dir, backup, notAfter };
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
