import 'reflect-metadata';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import * as x509 from '@peculiar/x509';
import { AgentError } from './errors';
import { writeFileAtomic } from './files';

/** SHA-256 of the trust bundle exactly as stored, the way the server hashes what it sends. */
export function bundleSha256(pem: string): string {
  return createHash('sha256').update(pem).digest('hex');
}

/** The certificates of a PEM bundle; throws when it holds none or one does not parse. */
export function readBundle(pem: string): x509.X509Certificate[] {
  const blocks = x509.PemConverter.decode(pem);
  if (blocks.length === 0) throw new Error('no certificate in the bundle');
  return blocks.map((der) => new x509.X509Certificate(der));
}

/**
 * Stores the CA trust bundle the server sent (CA rotation): checked to be certificates that
 * are CAs, then written in place of `ca.crt` in one rename, so that a crash leaves the old one.
 */
export function storeTrustBundle(caPath: string, pem: string): number {
  let certificates: x509.X509Certificate[];
  try {
    certificates = readBundle(pem);
  } catch (error) {
    throw new AgentError(
      'bad_response',
      `the trust bundle is not valid (${(error as Error).message})`,
    );
  }
  const notCa = certificates.find(
    (certificate) => !certificate.getExtension(x509.BasicConstraintsExtension)?.ca,
  );
  if (notCa)
    throw new AgentError('bad_response', 'the trust bundle holds a certificate that is not a CA');
  writeFileAtomic(caPath, pem, 0o644);
  return certificates.length;
}

/** The stored bundle and its hash, or undefined when there is none. */
export function readTrust(caPath: string | undefined): { pem: string; sha256: string } | undefined {
  if (!caPath) return undefined;
  try {
    const pem = fs.readFileSync(caPath, 'utf8');
    return { pem, sha256: bundleSha256(pem) };
  } catch {
    return undefined;
  }
}
