import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import {
  CA_BUNDLE_FILE,
  initCa,
  loadCa,
  NEXT_DIR,
  PREVIOUS_DIR,
  PROXY_TRUST_BUNDLE,
  PROXY_TRUST_DIR,
  PROXY_TRUST_FILES,
} from './authority';
import {
  activateCa,
  listenerIssuer,
  loadCaTrust,
  RotationError,
  retireCa,
  rotateCa,
} from './rotation';
import { x509 } from './x509';

const NOW = new Date('2026-12-01T10:00:00Z');

/** The subjects of the proxy's one-file-per-CA copies, each of which must hold one CA. */
function proxyTrust(dir: string): string[] {
  return PROXY_TRUST_FILES.map((name) => {
    const ders = x509.PemConverter.decode(
      fs.readFileSync(path.join(dir, PROXY_TRUST_DIR, name), 'utf8'),
    );
    expect(ders).toHaveLength(1);
    return new x509.X509Certificate(ders[0] as ArrayBuffer).subject;
  });
}

/**
 * The subjects in the proxy's bundle, the specification's optralis-agent-ca.crt; it must be the
 * agents' bundle, byte for byte.
 */
function proxyBundle(dir: string): string[] {
  const pem = fs.readFileSync(path.join(dir, PROXY_TRUST_DIR, PROXY_TRUST_BUNDLE), 'utf8');
  expect(pem).toBe(fs.readFileSync(path.join(dir, CA_BUNDLE_FILE), 'utf8'));
  return x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der).subject);
}

describe('CA rotation files', () => {
  it('publishes the next CA first, switches issuing on activation, then retires the old one', async () => {
    const dir = tempDir('rotate');
    await initCa(dir, { now: NOW });
    const first = await loadCa(dir);
    const initial = await loadCaTrust(dir);
    expect(initial.trusted.map((c) => c.subject)).toEqual([first.certificate.subject]);
    expect(initial.previous).toBeUndefined();
    expect(proxyTrust(dir)).toEqual([first.certificate.subject, first.certificate.subject]);
    expect(proxyBundle(dir)).toEqual([first.certificate.subject]);

    await rotateCa(dir, NOW);
    const published = await loadCaTrust(dir);
    const second = published.next?.certificate.subject ?? '';
    // Trusted by everyone, but nothing is signed by it yet.
    expect(published.active.certificate.equal(first.certificate)).toBe(true);
    expect(second).not.toBe(first.certificate.subject);
    expect(published.trusted.map((c) => c.subject)).toEqual([first.certificate.subject, second]);
    expect(proxyTrust(dir)).toEqual([first.certificate.subject, second]);
    expect(proxyBundle(dir)).toEqual([first.certificate.subject, second]);
    expect(listenerIssuer(published).certificate.equal(first.certificate)).toBe(true);
    expect(fs.statSync(path.join(dir, NEXT_DIR, 'ca.key')).mode & 0o777).toBe(0o600);
    await expect(rotateCa(dir, NOW)).rejects.toThrow(/ca activate/);
    expect(() => retireCa(dir, NOW)).toThrow(/ca activate/);

    activateCa(dir);
    const activated = await loadCaTrust(dir);
    expect(activated.active.certificate.subject).toBe(second);
    expect(activated.next).toBeUndefined();
    expect(activated.previous?.certificate.equal(first.certificate)).toBe(true);
    expect(activated.trusted.map((c) => c.subject)).toEqual([second, first.certificate.subject]);
    expect(proxyTrust(dir)).toEqual([second, first.certificate.subject]);
    expect(proxyBundle(dir)).toEqual([second, first.certificate.subject]);
    // Agents that only know the old CA must still be able to verify the listener.
    expect(listenerIssuer(activated).certificate.equal(first.certificate)).toBe(true);
    expect(fs.statSync(path.join(dir, PREVIOUS_DIR, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(() => activateCa(dir)).toThrow(RotationError);
    await expect(rotateCa(dir, NOW)).rejects.toBeInstanceOf(RotationError);

    const retired = retireCa(dir, new Date('2026-12-20T10:00:00Z'));
    expect(fs.existsSync(path.join(retired.retiredTo, 'ca.crt'))).toBe(true);
    const after = await loadCaTrust(dir);
    expect(after.previous).toBeUndefined();
    expect(after.trusted.map((c) => c.subject)).toEqual([second]);
    expect(proxyTrust(dir)).toEqual([second, second]);
    expect(proxyBundle(dir)).toEqual([second]);
    expect(listenerIssuer(after).certificate.subject).toBe(second);
    expect(() => retireCa(dir, NOW)).toThrow(RotationError);
  });

  it('finishes an activation interrupted after the current CA was copied aside', async () => {
    const dir = tempDir('interrupted');
    await initCa(dir, { now: NOW });
    await rotateCa(dir, NOW);
    const next = (await loadCaTrust(dir)).next?.certificate.subject;
    fs.mkdirSync(path.join(dir, PREVIOUS_DIR));
    for (const name of ['ca.key', 'ca.crt']) {
      fs.copyFileSync(path.join(dir, name), path.join(dir, PREVIOUS_DIR, name));
    }
    activateCa(dir);
    const trust = await loadCaTrust(dir);
    expect(trust.active.certificate.subject).toBe(next);
    expect(trust.trusted).toHaveLength(2);
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
    let trust = await loadCaTrust(dir);
    expect(trust.next).toBeUndefined();
    await rotateCa(dir, NOW);
    activateCa(dir);
    await initCa(dir, { now: NOW, force: true });
    trust = await loadCaTrust(dir);
    expect(trust.previous).toBeUndefined();
    expect(trust.trusted).toHaveLength(1);
  });
});
