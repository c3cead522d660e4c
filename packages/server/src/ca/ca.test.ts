import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { createKeyAndRequest } from '../../../agent/src/crypto';
import { AppError } from '../errors';
import { CA_CERT_FILE, CA_KEY_FILE, initCa, loadCa } from './authority';
import { readCertificateRequest } from './csr';
import { issueMachineCertificate, machineCommonName } from './issue';
import { x509 } from './x509';

const NOW = new Date('2026-06-01T12:00:00Z');

describe('the certificate authority', () => {
  it('is created as ECDSA P-256 for ten years with a private key readable only by its owner', async () => {
    const dir = path.join(tempDir('ca'), 'ca');
    const result = await initCa(dir, { now: NOW });
    expect(result.status).toBe('created');
    expect(fs.statSync(path.join(dir, CA_KEY_FILE)).mode & 0o777).toBe(0o600);

    const ca = await loadCa(dir);
    expect(ca.certificate.notAfter.toISOString()).toBe('2036-06-01T12:00:00.000Z');
    expect((ca.certificate.publicKey.algorithm as EcKeyAlgorithm).namedCurve).toBe('P-256');
    const basic = ca.certificate.getExtension(x509.BasicConstraintsExtension);
    expect(basic?.ca).toBe(true);
  });

  it('leaves an existing CA untouched without --force and backs it up with it', async () => {
    const dir = path.join(tempDir('ca'), 'ca');
    await initCa(dir, { now: NOW });
    const original = fs.readFileSync(path.join(dir, CA_CERT_FILE), 'utf8');

    expect((await initCa(dir, { now: NOW })).status).toBe('exists');
    expect(fs.readFileSync(path.join(dir, CA_CERT_FILE), 'utf8')).toBe(original);

    const forced = await initCa(dir, { now: NOW, force: true });
    expect(forced.status === 'created' && forced.backup).toBe(`${dir}.backup.20260601-120000`);
    const backup = forced.status === 'created' ? (forced.backup ?? '') : '';
    expect(fs.readFileSync(path.join(backup, CA_CERT_FILE), 'utf8')).toBe(original);
    expect(fs.readFileSync(path.join(dir, CA_CERT_FILE), 'utf8')).not.toBe(original);
  });

  it('issues a client-auth certificate named by ids, backdated for clock skew', async () => {
    const dir = path.join(tempDir('ca'), 'ca');
    await initCa(dir, { now: NOW });
    const ca = await loadCa(dir);
    const { csrPem } = await createKeyAndRequest('ignored-by-the-server');
    const publicKey = await readCertificateRequest(csrPem);
    const identity = {
      clientId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
      machineId: '01JBBBBBBBBBBBBBBBBBBBBBBB',
    };

    const issued = await issueMachineCertificate(ca, publicKey, identity, {
      now: NOW,
      lifetimeDays: 90,
    });
    const certificate = new x509.X509Certificate(issued.pem);
    expect(certificate.subject).toBe(`CN=${machineCommonName(identity)}, O=Optralis`);
    expect(machineCommonName(identity).length).toBeLessThanOrEqual(64);
    expect(certificate.notBefore.toISOString()).toBe('2026-06-01T11:55:00.000Z');
    expect(certificate.notAfter.toISOString()).toBe('2026-08-30T12:00:00.000Z');
    const usage = certificate.getExtension(x509.ExtendedKeyUsageExtension);
    expect(usage?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.toJSON()).toEqual([
      {
        type: 'url',
        value: `urn:optralis:client:${identity.clientId}:machine:${identity.machineId}`,
      },
    ]);
    expect(await certificate.verify({ publicKey: ca.certificate.publicKey, date: NOW })).toBe(true);
  });

  it('refuses a request whose signature does not match its key', async () => {
    const { csrPem } = await createKeyAndRequest('machine');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
    const broken = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(readCertificateRequest(broken)).rejects.toMatchObject({ code: 'invalid_csr' });
    await expect(
      readCertificateRequest('-----BEGIN X-----\nAAAA\n-----END X-----'),
    ).rejects.toBeInstanceOf(AppError);
  });
});
