import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/server';
import {
  EC_P256,
  initCa,
  issueMachineCertificate,
  loadCa,
  subtle,
  x509,
} from '../../server/src/ca';
import { completePendingSwap, planRenewal } from './renewal';

async function certificate(lifetimeDays: number) {
  const dir = tempDir('ca');
  await initCa(dir);
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issued = await issueMachineCertificate(
    await loadCa(dir),
    await x509.PublicKey.create(keys.publicKey),
    { clientId: '01HAAAAAAAAAAAAAAAAAAAAAAA', machineId: '01HBBBBBBBBBBBBBBBBBBBBBBB' },
    { now: new Date('2026-01-01T00:00:00Z'), lifetimeDays },
  );
  return issued;
}

describe('when the agent renews its certificate', () => {
  it('plans it between 60 % and 70 % of the lifetime, spread by chance', async () => {
    const issued = await certificate(90);
    const from = issued.notBefore.getTime();
    const lifetime = issued.notAfter.getTime() - from;
    expect(planRenewal(issued.pem, () => 0).renewAt).toBe(from + lifetime * 0.6);
    const latest = planRenewal(issued.pem, () => 1).renewAt;
    expect(Math.abs(latest - (from + lifetime * 0.7))).toBeLessThan(1);
    const twoThirds = planRenewal(issued.pem, () => 0.666).renewAt;
    expect(Math.abs(twoThirds - (from + lifetime * (2 / 3)))).toBeLessThan(lifetime * 0.001);
    expect(planRenewal(issued.pem).notAfter).toBe(issued.notAfter.getTime());
  });

  it('plans a short lifetime from the lifetime granted, not from the clock-skew margin', async () => {
    // 60 seconds: notBefore goes back 3 s (a twentieth), so two thirds is still ahead.
    const issued = await certificate(60 / 86_400);
    const issuedAt = Date.parse('2026-01-01T00:00:00Z');
    expect(issuedAt - issued.notBefore.getTime()).toBe(3_000);
    expect(planRenewal(issued.pem, () => 0).renewAt).toBeGreaterThan(issuedAt + 30_000);
  });

  it('completes a key and certificate swap that a crash interrupted', () => {
    const dir = tempDir('swap');
    const cert = path.join(dir, 'client.crt');
    const key = path.join(dir, 'client.key');
    const write = (file: string, text: string) => fs.writeFileSync(file, text);
    const state = () => [fs.readFileSync(key, 'utf8'), fs.readFileSync(cert, 'utf8')];

    // Crash before any rename: both new files are put in place.
    write(cert, 'old cert');
    write(key, 'old key');
    write(`${cert}.next`, 'new cert');
    write(`${key}.next`, 'new key');
    completePendingSwap(cert, key);
    expect(state()).toEqual(['new key', 'new cert']);

    // Crash between the two renames: the key is new, the certificate follows.
    write(`${cert}.next`, 'newer cert');
    write(key, 'newer key');
    completePendingSwap(cert, key);
    expect(state()).toEqual(['newer key', 'newer cert']);

    // Crash while writing the key only: the old pair stays, the stray key goes.
    write(`${key}.next`, 'half');
    completePendingSwap(cert, key);
    expect(state()).toEqual(['newer key', 'newer cert']);
    expect(fs.readdirSync(dir).sort()).toEqual(['client.crt', 'client.key']);
  });
});
