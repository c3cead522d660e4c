import { AppError } from '../errors';
import { x509 } from './x509';

const ACCEPTED_CURVES = new Set(['P-256', 'P-384']);

/**
 * Parses a PKCS#10 request from a machine and checks its self-signature and key type. Only the
 * public key is used: subject and extensions are the server's to set.
 */
export async function readCertificateRequest(pem: string): Promise<x509.PublicKey> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw new AppError('invalid_csr', 'The certificate signing request cannot be parsed.', 'csr');
  }

  let valid = false;
  try {
    valid = await request.verify();
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new AppError('invalid_csr', 'The certificate signing request signature is wrong.', 'csr');
  }

  const algorithm = request.publicKey.algorithm as { name: string; namedCurve?: string };
  const ecdsaOk = algorithm.name === 'ECDSA' && ACCEPTED_CURVES.has(algorithm.namedCurve ?? '');
  if (!ecdsaOk) {
    throw new AppError(
      'invalid_csr',
      'The certificate signing request must use an ECDSA P-256 or P-384 key.',
      'csr',
    );
  }
  return request.publicKey;
}
