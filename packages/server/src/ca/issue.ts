import type { CertificateAuthority } from './authority';
import {
  EC_P256,
  exportPrivateKeyPem,
  publicKeyFingerprint,
  randomSerial,
  subtle,
  x509,
} from './x509';

/** Agents whose clock runs a little slow must not see a "not yet valid" certificate. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How far `notBefore` goes back: five minutes, but never more than a twentieth of the lifetime,
 * so that agents planning renewal from notBefore and notAfter see about the lifetime granted.
 */
function backdating(lifetimeMs: number): number {
  return Math.min(CLOCK_SKEW_MS, Math.floor(lifetimeMs / 20));
}

export interface IssuedCertificate {
  serial: string;
  pem: string;
  notBefore: Date;
  notAfter: Date;
  publicKeySha256: string;
}

export interface MachineIdentity {
  clientId: string;
  machineId: string;
}

/** `CN=<clientId>:<machineId>`: compact ids, never the host name, fit X.509's 64-character cap. */
export function machineCommonName(identity: MachineIdentity): string {
  return `${identity.clientId}:${identity.machineId}`;
}

export function machineUri(identity: MachineIdentity): string {
  return `urn:optralis:client:${identity.clientId}:machine:${identity.machineId}`;
}

/** Signs a client-authentication certificate for one machine. */
export async function issueMachineCertificate(
  ca: CertificateAuthority,
  publicKey: x509.PublicKey,
  identity: MachineIdentity,
  options: { now: Date; lifetimeDays: number },
): Promise<IssuedCertificate> {
  const lifetimeMs = Math.round(options.lifetimeDays * 86_400_000);
  const notBefore = new Date(options.now.getTime() - backdating(lifetimeMs));
  const notAfter = new Date(options.now.getTime() + lifetimeMs);
  const serial = randomSerial();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: [{ CN: [machineCommonName(identity)] }, { O: ['Optralis'] }],
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: machineUri(identity) }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return {
    serial,
    pem: certificate.toString('pem'),
    notBefore,
    notAfter,
    publicKeySha256: publicKeyFingerprint(publicKey),
  };
}

/** The agent API's own TLS certificate, for the host names agents connect to. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  hosts: string[],
  options: { now: Date; lifetimeDays: number },
): Promise<{ certificatePem: string; keyPem: string }> {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names = [...new Set(hosts)].map((host) =>
    /^[\d.]+$|:/.test(host)
      ? { type: 'ip' as const, value: host.replace(/^\[|\]$/g, '') }
      : { type: 'dns' as const, value: host },
  );
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [hosts[0] ?? 'localhost'] }, { O: ['Optralis'] }],
    issuer: ca.certificate.subjectName,
    notBefore: new Date(options.now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(options.now.getTime() + options.lifetimeDays * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
  };
}
