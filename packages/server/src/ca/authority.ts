import assert from 'node:assert/strict';
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
/** The next CA during a rotation: trusted (published) but not issuing until `ca activate`. */
export const NEXT_DIR = 'next';
/** The CA being replaced during a rotation, still trusted until `ca retire`. */
export const PREVIOUS_DIR = 'previous';
/**
 * One file per trusted CA for the proxy, in a directory of their own that holds no key (the
 * proxy is given this directory, never the CA's). Caddy 2.6 reads only the first certificate of a
 * `trusted_ca_cert_file`, so deploy/Caddyfile names each of these files. At most two CAs are
 * trusted at once; outside a rotation the second file repeats the first.
 */
export const PROXY_TRUST_DIR = 'trusted';
export const PROXY_TRUST_FILES = ['agent-ca-1.crt', 'agent-ca-2.crt'] as const;
/**
 * Every trusted CA in one file, beside the proxy's per-CA files: the compose file shows it to
 * Caddy as the specification's `/etc/caddy/optralis-agent-ca.crt`, for the operator to check.
 * Caddy itself reads the per-CA files (see above).
 */
export const PROXY_TRUST_BUNDLE = 'optralis-agent-ca.crt';
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
  fs.rmSync(path.join(dir, NEXT_DIR), { recursive: true, force: true });
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

/** The PEM of every CA whose machine certificates are accepted: issuing, next, previous. */
export function trustedCaPems(dir: string): string[] {
  return [CA_CERT_FILE, path.join(NEXT_DIR, CA_CERT_FILE), path.join(PREVIOUS_DIR, CA_CERT_FILE)]
    .map((file) => path.join(dir, file))
    .filter((file) => fs.existsSync(file))
    .map((file) => `${fs.readFileSync(file, 'utf8').trim()}\n`);
}

/**
 * `ca-bundle.crt`: every trusted CA, the issuing one first; agents receive it in heartbeat
 * answers. The proxy's one-file-per-CA copies (`trusted/`) are written with it.
 */
export function writeTrustBundle(dir: string): string {
  const pems = trustedCaPems(dir);
  const bundle = pems.join('');
  writeProxyTrust(dir, pems);
  writeFileAtomic(path.join(dir, CA_BUNDLE_FILE), bundle, 0o644);
  return bundle;
}

/**
 * Writes `trusted/agent-ca-N.crt` and `trusted/optralis-agent-ca.crt` where they differ from the
 * trusted CAs; true if it wrote.
 */
export function writeProxyTrust(dir: string, pems: string[]): boolean {
  assert(pems.length >= 1 && pems.length <= PROXY_TRUST_FILES.length, 'one or two trusted CAs');
  const proxyDir = path.join(dir, PROXY_TRUST_DIR);
  // Readable by the proxy's own user: these are public certificates.
  fs.mkdirSync(proxyDir, { recursive: true, mode: 0o755 });
  const wanted: [string, string][] = PROXY_TRUST_FILES.map((name, index) => [
    name,
    pems[index] ?? pems[0] ?? '',
  ]);
  wanted.push([PROXY_TRUST_BUNDLE, pems.join('')]);

  let wrote = false;
  for (const [name, pem] of wanted) {
    const file = path.join(proxyDir, name);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === pem) continue;
    writeFileAtomic(file, pem, 0o644);
    wrote = true;
  }
  return wrote;
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
