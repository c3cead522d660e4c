import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 works on WebCrypto keys; Node's implementation is the provider.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

export const subtle = webcrypto.subtle;

export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A positive 128-bit serial number in hex (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  // First byte in 0x40..0x7f: positive, and never a leading zero that encoders would drop.
  bytes[0] = 0x40 | ((bytes[0] ?? 0) & 0x3f);
  return bytes.toString('hex');
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function importEcPrivateKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no key in PEM');
  return (await subtle.importKey('pkcs8', der, EC_P256, false, ['sign'])) as unknown as CryptoKey;
}

/** SHA-256 of a public key's SubjectPublicKeyInfo, to recognise the same key again. */
export function publicKeyFingerprint(publicKey: x509.PublicKey): string {
  return createHash('sha256').update(Buffer.from(publicKey.rawData)).digest('hex');
}
