import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeyAndRequest } from '../../../agent/src/crypto';
import {
  type CaTrust,
  type CertificateAuthority,
  initCa,
  issueMachineCertificate,
  loadCa,
  readCertificateRequest,
} from '../ca';
import { issuingCa } from './identity';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-issuer-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

async function ca(label: string, name: string): Promise<CertificateAuthority> {
  const dir = path.join(scratch, label);
  await initCa(dir, { name });
  return loadCa(dir);
}

/** The DER of a machine certificate that `authority` signs. */
async function machineCertificate(authority: CertificateAuthority): Promise<Buffer> {
  const { csrPem } = await createKeyAndRequest('issuer-test');
  const issued = await issueMachineCertificate(
    authority,
    await readCertificateRequest(csrPem),
    { clientId: 'client', machineId: 'machine' },
    { now: new Date(), lifetimeDays: 1 },
  );
  return new X509Certificate(issued.pem).raw;
}

function trustOf(...authorities: CertificateAuthority[]): CaTrust {
  return { trusted: authorities.map((authority) => authority.certificate) } as CaTrust;
}

function fingerprint(authority: CertificateAuthority): string {
  return new X509Certificate(authority.certificate.toString('pem')).fingerprint256;
}

describe('the CA that issued a verified machine certificate', () => {
  it('is the trusted CA of the issuer name', async () => {
    const first = await ca('first', 'Agent CA one');
    const second = await ca('second', 'Agent CA two');
    const trust = trustOf(first, second);
    const der = await machineCertificate(second);
    expect(issuingCa(trust, 'Agent CA two', der)?.fingerprint256).toBe(fingerprint(second));
    expect(issuingCa(trust, 'Agent CA three', der)).toBeUndefined();
  });

  it('is told apart by key identifier when two trusted CAs share a name', async () => {
    const older = await ca('older', 'Same name');
    const newer = await ca('newer', 'Same name');
    const trust = trustOf(older, newer);
    expect(fingerprint(older)).not.toBe(fingerprint(newer));
    const fromOlder = await machineCertificate(older);
    const fromNewer = await machineCertificate(newer);
    expect(issuingCa(trust, 'Same name', fromOlder)?.fingerprint256).toBe(fingerprint(older));
    expect(issuingCa(trust, 'Same name', fromNewer)?.fingerprint256).toBe(fingerprint(newer));
    // Once the older one is no longer trusted, its certificates have no issuer here.
    expect(issuingCa(trustOf(newer), 'Same name', fromOlder)).toBeUndefined();
  });
});
