import fs from 'node:fs';
import path from 'node:path';
import {
  CA_BUNDLE_FILE,
  CA_CERT_FILE,
  CA_KEY_FILE,
  type CertificateAuthority,
  caExists,
  loadCa,
  makeCa,
  PREVIOUS_DIR,
  writeCaFiles,
  writeTrustBundle,
} from './authority';
import { x509 } from './x509';

/** The issuing CA and every CA whose machine certificates are still accepted. */
export interface CaTrust {
  active: CertificateAuthority;
  /** During a rotation, the CA being retired; it still signs the agent listener's certificate. */
  previous: CertificateAuthority | undefined;
  /** The active CA first, then the one being retired during a rotation. */
  trusted: x509.X509Certificate[];
  bundlePem: string;
}

export async function loadCaTrust(dir: string): Promise<CaTrust> {
  const active = await loadCa(dir);
  const previousDir = path.join(dir, PREVIOUS_DIR);
  const previous = caExists(previousDir) ? await loadCa(previousDir) : undefined;
  const bundleFile = path.join(dir, CA_BUNDLE_FILE);
  const bundlePem = fs.existsSync(bundleFile)
    ? fs.readFileSync(bundleFile, 'utf8')
    : writeTrustBundle(dir);
  const trusted = x509.PemConverter.decode(bundlePem).map((der) => new x509.X509Certificate(der));
  if (!trusted.some((certificate) => certificate.equal(active.certificate))) {
    // The bundle is older than the CA (restored from a backup): rebuild it from the files.
    return { active, previous, ...parseBundle(writeTrustBundle(dir)) };
  }
  return { active, previous, trusted, bundlePem };
}

function parseBundle(bundlePem: string) {
  return {
    bundlePem,
    trusted: x509.PemConverter.decode(bundlePem).map((der) => new x509.X509Certificate(der)),
  };
}

/**
 * The CA that signs the agent listener's own certificate: during a rotation the previous one,
 * because agents that have not yet received the new bundle trust only it.
 */
export function listenerIssuer(trust: CaTrust): CertificateAuthority {
  return trust.previous ?? trust.active;
}

/** Whether a certificate was signed by the active CA (else by one being retired). */
export function issuedByActive(trust: CaTrust, certificate: x509.X509Certificate): boolean {
  return certificate.issuer === trust.active.certificate.subject;
}

export class RotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationError';
  }
}

/**
 * Starts a CA rotation: a new CA becomes the issuer, the old one moves to `previous/` and stays
 * trusted, and the bundle holds both. Agents learn the bundle from heartbeat answers and renew
 * onto the new CA; `retireCa` ends the overlap.
 */
export async function rotateCa(dir: string, now: Date) {
  if (!caExists(dir)) throw new RotationError(`no CA in ${dir}: run "optralis ca init" first`);
  const previous = path.join(dir, PREVIOUS_DIR);
  if (fs.existsSync(path.join(previous, CA_CERT_FILE))) {
    throw new RotationError(
      'a rotation is already under way: retire the previous CA ("optralis ca retire") first',
    );
  }
  const made = await makeCa(now);
  fs.mkdirSync(previous, { recursive: true, mode: 0o700 });
  fs.copyFileSync(path.join(dir, CA_KEY_FILE), path.join(previous, CA_KEY_FILE));
  fs.chmodSync(path.join(previous, CA_KEY_FILE), 0o600);
  fs.copyFileSync(path.join(dir, CA_CERT_FILE), path.join(previous, CA_CERT_FILE));
  writeCaFiles(dir, made);
  writeTrustBundle(dir);
  return { dir, notAfter: made.notAfter };
}

/**
 * Ends a rotation: the previous CA is no longer trusted. Its files are moved aside (kept as a
 * backup), never deleted.
 */
export function retireCa(dir: string, now: Date) {
  const previous = path.join(dir, PREVIOUS_DIR);
  if (!fs.existsSync(path.join(previous, CA_CERT_FILE))) {
    throw new RotationError('no previous CA to retire: no rotation is under way');
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const aside = `${dir.replace(/\/+$/, '')}.retired.${stamp}`;
  fs.renameSync(previous, aside);
  writeTrustBundle(dir);
  return { dir, retiredTo: aside };
}
