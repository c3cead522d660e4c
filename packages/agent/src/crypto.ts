import 'reflect-metadata';
import {
  createPrivateKey,
  createPublicKey,
  X509Certificate as NodeX509,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface MachineKeyAndRequest {
  privateKeyPem: string;
  csrPem: string;
}

/**
 * Makes the machine's key pair here, on the machine, and a CSR that proves possession of it. Given
 * the PEM of a key made earlier (an enrollment whose answer was lost), makes the CSR for that key,
 * so that the server recognises the same request.
 */
export async function createKeyAndRequest(
  commonName: string,
  existingKeyPem?: string,
): Promise<MachineKeyAndRequest> {
  const keys = existingKeyPem
    ? await importKeyPair(existingKeyPem)
    : ((await webcrypto.subtle.generateKey(EC_P256, true, [
        'sign',
        'verify',
      ])) as unknown as CryptoKeyPair);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: EC_P256,
  });
  const pkcs8 = await webcrypto.subtle.exportKey(
    'pkcs8',
    keys.privateKey as unknown as webcrypto.CryptoKey,
  );
  return {
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    csrPem: csr.toString('pem'),
  };
}

/** The P-256 key pair of a PEM private key; throws when the PEM is not such a key. */
async function importKeyPair(privateKeyPem: string): Promise<CryptoKeyPair> {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ec') throw new Error('not an EC key');
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subtle = webcrypto.subtle;
  return {
    privateKey: (await subtle.importKey('pkcs8', pkcs8, EC_P256, true, [
      'sign',
    ])) as unknown as CryptoKey,
    publicKey: (await subtle.importKey('spki', spki, EC_P256, true, [
      'verify',
    ])) as unknown as CryptoKey,
  };
}

/** When the certificate stops being valid, to plan renewal and report clear errors. */
export function certificateValidity(pem: string): { notBefore: Date; notAfter: Date } {
  const certificate = new x509.X509Certificate(pem);
  return { notBefore: certificate.notBefore, notAfter: certificate.notAfter };
}

/** Why a certificate given as files cannot be installed, or undefined when it can. */
export type CertificatePairProblem = 'key_mismatch' | 'not_issued_by_ca';

/**
 * Checks a certificate and key brought as files: the key is the certificate's, and one of the
 * CAs in `caPem` (both during a rotation) signed the certificate. Without this a wrong pair is
 * installed and the agent only fails later, at its first TLS handshake.
 */
export function checkCertificatePair(
  certificatePem: string,
  keyPem: string,
  caPem: string,
): CertificatePairProblem | undefined {
  const certificate = new NodeX509(certificatePem);
  if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) return 'key_mismatch';
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  const signed = (blocks ?? []).some((block) => {
    const ca = new NodeX509(block);
    return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
  });
  return signed ? undefined : 'not_issued_by_ca';
}
