import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEnrollment } from './enrollment';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOW = new Date('2030-06-01T00:00:00Z');

async function keys() {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(pair: CryptoKeyPair) {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', pair.privateKey as webcrypto.CryptoKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function authority(name: string) {
  const pair = await keys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: pair,
    signingAlgorithm: EC,
    notBefore: new Date('2030-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { pair, pem: certificate.toString('pem') };
}

async function machineCertificate(ca: { pair: CryptoKeyPair }, pair: CryptoKeyPair, until: Date) {
  const certificate = await x509.X509CertificateGenerator.create({
    subject: 'CN=client:machine',
    issuer: 'CN=Test CA',
    publicKey: pair.publicKey,
    signingKey: ca.pair.privateKey,
    signingAlgorithm: EC,
    notBefore: new Date('2030-05-01T00:00:00Z'),
    notAfter: until,
  });
  return certificate.toString('pem');
}

interface Files {
  cert: string;
  key: string;
  ca: string;
  config?: Record<string, unknown>;
}

function configDir(files: Files): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrollment-'));
  fs.writeFileSync(path.join(dir, 'client.crt'), files.cert);
  fs.writeFileSync(path.join(dir, 'client.key'), files.key);
  fs.writeFileSync(path.join(dir, 'ca.crt'), files.ca);
  const config = {
    api_url: 'https://127.0.0.1:8443',
    mtls_enabled: true,
    mtls_cert_path: path.join(dir, 'client.crt'),
    mtls_key_path: path.join(dir, 'client.key'),
    ca_cert_path: path.join(dir, 'ca.crt'),
    public_url: 'http://127.0.0.1:8080',
    channel: 'beta',
    client_id: '01CLIENT',
    machine_id: '01MACHINE',
    ...files.config,
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('the identity an installer finds in a config directory', () => {
  let ca: Awaited<ReturnType<typeof authority>>;
  let other: Awaited<ReturnType<typeof authority>>;
  let pair: CryptoKeyPair;
  let good: Files;

  beforeAll(async () => {
    ca = await authority('Test CA');
    other = await authority('Test CA');
    pair = await keys();
    good = {
      cert: await machineCertificate(ca, pair, new Date('2030-08-01T00:00:00Z')),
      key: await keyPem(pair),
      ca: ca.pem,
    };
  });

  it('is kept when the certificate is valid, issued by ca.crt and matches the key', () => {
    expect(readEnrollment(configDir(good), NOW)).toEqual({
      clientId: '01CLIENT',
      machineId: '01MACHINE',
      apiUrl: 'https://127.0.0.1:8443',
      publicUrl: 'http://127.0.0.1:8080',
      channel: 'beta',
      certificateExpiresAt: '2030-08-01T00:00:00.000Z',
    });
  });

  it('is accepted from a CA bundle during a CA rotation', () => {
    const dir = configDir({ ...good, ca: `${other.pem}${ca.pem}` });
    expect(readEnrollment(dir, NOW).machineId).toBe('01MACHINE');
  });

  it('is refused, with the reason, when it could not work', async () => {
    const expired = await machineCertificate(ca, pair, new Date('2030-05-15T00:00:00Z'));
    const cases: [Files, RegExp][] = [
      [{ ...good, cert: expired }, /client certificate expired/],
      [{ ...good, key: await keyPem(await keys()) }, /key does not belong/],
      [{ ...good, ca: other.pem }, /not issued by the CA/],
      [
        { ...good, cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        /parsed/,
      ],
      [{ ...good, config: { machine_id: undefined } }, /no machine_id/],
      [{ ...good, config: { mtls_enabled: false } }, /mtls_enabled/],
    ];
    for (const [files, reason] of cases) {
      expect(() => readEnrollment(configDir(files), NOW)).toThrow(reason);
    }
  });

  it('is refused when there is no config.json', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'enrollment-'));
    expect(() => readEnrollment(empty, NOW)).toThrow(/cannot read .*config\.json/);
  });
});
