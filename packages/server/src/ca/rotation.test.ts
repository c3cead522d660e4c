import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { CA_BUNDLE_FILE, initCa, loadCa, PREVIOUS_DIR } from './authority';
import { listenerIssuer, loadCaTrust, RotationError, retireCa, rotateCa } from './rotation';

const NOW = new Date('2026-12-01T10:00:00Z');

describe('CA rotation files', () => {
  it('rotates to a new issuer, trusts both, then retires the old one', async () => {
    const dir = tempDir('rotate');
    await initCa(dir, { now: NOW });
    const first = await loadCa(dir);
    const initial = await loadCaTrust(dir);
    expect(initial.trusted.map((c) => c.subject)).toEqual([first.certificate.subject]);
    expect(initial.previous).toBeUndefined();

    await rotateCa(dir, NOW);
    const during = await loadCaTrust(dir);
    expect(during.active.certificate.subject).not.toBe(first.certificate.subject);
    expect(during.previous?.certificate.equal(first.certificate)).toBe(true);
    expect(during.trusted.map((c) => c.subject)).toEqual([
      during.active.certificate.subject,
      first.certificate.subject,
    ]);
    // Agents that only know the old CA must still be able to verify the listener.
    expect(listenerIssuer(during).certificate.equal(first.certificate)).toBe(true);
    expect(fs.statSync(path.join(dir, PREVIOUS_DIR, 'ca.key')).mode & 0o777).toBe(0o600);
    await expect(rotateCa(dir, NOW)).rejects.toBeInstanceOf(RotationError);

    const retired = retireCa(dir, new Date('2026-12-20T10:00:00Z'));
    expect(fs.existsSync(path.join(retired.retiredTo, 'ca.crt'))).toBe(true);
    const after = await loadCaTrust(dir);
    expect(after.previous).toBeUndefined();
    expect(after.trusted.map((c) => c.subject)).toEqual([during.active.certificate.subject]);
    expect(listenerIssuer(after).certificate.equal(during.active.certificate)).toBe(true);
    expect(() => retireCa(dir, NOW)).toThrow(RotationError);
  });

  it('rebuilds a bundle that no longer matches the CA files', async () => {
    const dir = tempDir('bundle');
    await initCa(dir, { now: NOW });
    fs.writeFileSync(path.join(dir, CA_BUNDLE_FILE), '');
    const trust = await loadCaTrust(dir);
    expect(trust.trusted).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, CA_BUNDLE_FILE), 'utf8')).toBe(
      trust.active.certificatePem,
    );
  });

  it('a forced init trusts only the new CA', async () => {
    const dir = tempDir('force');
    await initCa(dir, { now: NOW });
    await rotateCa(dir, NOW);
    await initCa(dir, { now: NOW, force: true });
    const trust = await loadCaTrust(dir);
    expect(trust.previous).toBeUndefined();
    expect(trust.trusted).toHaveLength(1);
  });
});
