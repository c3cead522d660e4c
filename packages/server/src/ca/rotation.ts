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
  NEXT_DIR,
  PREVIOUS_DIR,
  writeCaFiles,
  writeTrustBundle,
} from './authority';
import { x509 } from './x509';

/** The issuing CA and every CA whose machine certificates are still accepted. */
export interface CaTrust {
  /** The CA that signs machine certificates. */
  active: CertificateAuthority;
  /** After `ca rotate` and before `ca activate`: trusted, not yet issuing. */
  next: CertificateAuthority | undefined;
  /** After `ca activate`, the CA being retired; it still signs the agent listener's certificate. */
  previous: CertificateAuthority | undefined;
  /** The active CA first, then the next or the previous one during a rotation. */
  trusted: x509.X509Certificate[];
  bundlePem: string;
}

export async function loadCaTrust(dir: string): Promise<CaTrust> {
  const active = await loadCa(dir);
  const next = await loadOptionalCa(path.join(dir, NEXT_DIR));
  const previous = await loadOptionalCa(path.join(dir, PREVIOUS_DIR));
  const bundleFile = path.join(dir, CA_BUNDLE_FILE);
  const bundlePem = fs.existsSync(bundleFile)
    ? fs.readFileSync(bundleFile, 'utf8')
    : writeTrustBundle(dir);
  const trusted = x509.PemConverter.decode(bundlePem).map((der) => new x509.X509Certificate(der));
  if (!trusted.some((certificate) => certificate.equal(active.certificate))) {
    // The bundle is older than the CA (restored from a backup): rebuild it from the files.
    return { active, next, previous, ...parseBundle(writeTrustBundle(dir)) };
  }
  return { active, next, previous, trusted, bundlePem };
}

function loadOptionalCa(dir: string): Promise<CertificateAuthority | undefined> {
  return caExists(dir) ? loadCa(dir) : Promise.resolve(undefined);
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
 * Step 1 of a rotation: a new CA is made in `next/` and published (trust bundle, proxy files),
 * while the current CA goes on issuing. Nothing is signed by the new CA until `activateCa`, so
 * that the proxy can be reloaded to trust it before any agent holds one of its certificates.
 */
export async function rotateCa(dir: string, now: Date) {
  if (!caExists(dir)) throw new RotationError(`no CA in ${dir}: run "optralis ca init" first`);
  if (caExists(path.join(dir, NEXT_DIR))) {
    throw new RotationError(
      'a rotation is already under way: the next CA waits for "optralis ca activate"',
    );
  }
  if (caExists(path.join(dir, PREVIOUS_DIR))) {
    throw new RotationError(
      'a rotation is already under way: retire the previous CA ("optralis ca retire") first',
    );
  }
  const made = await makeCa(now);
  writeCaFiles(path.join(dir, NEXT_DIR), made);
  writeTrustBundle(dir);
  return { dir, notAfter: made.notAfter };
}

/**
 * Step 2: the next CA becomes the issuer and the current one moves to `previous/`, still
 * trusted. Heartbeat answers then ask agents on the previous CA to renew.
 */
export function activateCa(dir: string) {
  const nextDir = path.join(dir, NEXT_DIR);
  if (!caExists(nextDir)) {
    throw new RotationError('no CA waits for activation: run "optralis ca rotate" first');
  }
  const previousDir = path.join(dir, PREVIOUS_DIR);
  const current = readCaFiles(dir);
  // A previous CA equal to the current one is what an interrupted activation leaves: go on.
  if (caExists(previousDir) && readCaFiles(previousDir).certificatePem !== current.certificatePem) {
    throw new RotationError('the previous CA is still trusted: run "optralis ca retire" first');
  }
  // Copied before anything is replaced, so that no step leaves a CA without its files.
  writeCaFiles(previousDir, current);
  const next = readCaFiles(nextDir);
  writeCaFiles(dir, next);
  fs.rmSync(nextDir, { recursive: true, force: true });
  writeTrustBundle(dir);
  return { dir, notAfter: new x509.X509Certificate(next.certificatePem).notAfter };
}

/**
 * Step 3: the previous CA is no longer trusted. Its files are moved aside (kept as a backup),
 * never deleted.
 */
export function retireCa(dir: string, now: Date) {
  const previous = path.join(dir, PREVIOUS_DIR);
  if (!fs.existsSync(path.join(previous, CA_CERT_FILE))) {
    if (caExists(path.join(dir, NEXT_DIR))) {
      throw new RotationError(
        'the next CA does not issue yet: run "optralis ca activate" before retiring',
      );
    }
    throw new RotationError('no previous CA to retire: no rotation is under way');
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const aside = `${dir.replace(/\/+$/, '')}.retired.${stamp}`;
  fs.renameSync(previous, aside);
  writeTrustBundle(dir);
  return { dir, retiredTo: aside };
}

function readCaFiles(dir: string) {
  return {
    certificatePem: fs.readFileSync(path.join(dir, CA_CERT_FILE), 'utf8'),
    keyPem: fs.readFileSync(path.join(dir, CA_KEY_FILE), 'utf8'),
  };
}
