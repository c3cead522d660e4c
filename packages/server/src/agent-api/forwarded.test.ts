import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { initCa, issueMachineCertificate, loadCa } from '../ca';
import { EC_P256, subtle, x509 } from '../ca/x509';
import { ConfigError, loadConfig } from '../config';
import { ForwardedCertificates } from './forwarded';

async function machineCertificate(caDir: string, now: Date, lifetimeDays = 1) {
  const ca = await loadCa(caDir);
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  const issued = await issueMachineCertificate(
    ca,
    publicKey,
    { clientId: '01JCLIENT0000000000000000AA', machineId: '01JMACHINE000000000000000AA' },
    { now, lifetimeDays },
  );
  return { ca, issued };
}

function derBase64(pem: string): string {
  return pem.replace(/-----[^-]+-----|\s/g, '');
}

describe('certificates forwarded by a reverse proxy', () => {
  it('believes only the configured proxy addresses, IPv4-mapped ones included', () => {
    const gate = new ForwardedCertificates(['10.0.0.0/8', '::1', '192.168.1.7'], () => []);
    expect(gate.fromProxy('10.20.30.40')).toBe(true);
    expect(gate.fromProxy('::ffff:10.1.2.3')).toBe(true);
    expect(gate.fromProxy('::1')).toBe(true);
    expect(gate.fromProxy('192.168.1.7')).toBe(true);
    expect(gate.fromProxy('192.168.1.8')).toBe(false);
    expect(gate.fromProxy('11.0.0.1')).toBe(false);
    expect(gate.fromProxy(undefined)).toBe(false);
    expect(gate.hasProxies).toBe(true);
    const none = new ForwardedCertificates([], () => []);
    expect(none.hasProxies).toBe(false);
    expect(none.fromProxy('127.0.0.1')).toBe(false);
  });

  it('accepts base64 DER (Caddy) and URL-encoded PEM (nginx) of our CA only', async () => {
    const now = new Date();
    const dir = tempDir('fwd-ca');
    await initCa(dir, { now });
    const { ca, issued } = await machineCertificate(dir, now);
    const gate = new ForwardedCertificates(['127.0.0.1'], () => [ca.certificate]);
    expect(await gate.serialOf(derBase64(issued.pem), now)).toBe(issued.serial);
    expect(await gate.serialOf(encodeURIComponent(issued.pem), now)).toBe(issued.serial);

    const otherDir = tempDir('fwd-other');
    await initCa(otherDir, { now });
    const foreign = await machineCertificate(otherDir, now);
    await expect(gate.serialOf(derBase64(foreign.issued.pem), now)).rejects.toMatchObject({
      code: 'client_certificate_invalid',
    });
    for (const garbage of ['', 'not base64!', 'AAAA', '%E0%A4%A', '-----BEGIN CERTIFICATE-----']) {
      await expect(gate.serialOf(garbage, now)).rejects.toMatchObject({
        code: 'client_certificate_invalid',
      });
    }
  });

  it('refuses an expired certificate, also once it was accepted before', async () => {
    const now = new Date();
    const dir = tempDir('fwd-exp');
    await initCa(dir, { now });
    const { ca, issued } = await machineCertificate(dir, now, 1);
    const gate = new ForwardedCertificates(['127.0.0.1'], () => [ca.certificate]);
    const header = derBase64(issued.pem);
    expect(await gate.serialOf(header, now)).toBe(issued.serial);
    const later = new Date(now.getTime() + 2 * 86_400_000);
    await expect(gate.serialOf(header, later)).rejects.toMatchObject({
      code: 'client_certificate_expired',
    });
    const fresh = new ForwardedCertificates(['127.0.0.1'], () => [ca.certificate]);
    await expect(fresh.serialOf(header, later)).rejects.toMatchObject({
      code: 'client_certificate_expired',
    });
  });

  it('is configured from the environment, and proxy mode needs proxies', () => {
    const config = loadConfig({
      OPTRALIS_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      OPTRALIS_AGENT_TLS: 'proxy',
    });
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(config.clientCertHeader).toBe('x-client-cert');
    expect(loadConfig({}).agentTls).toBe('mtls');
    expect(() => loadConfig({ OPTRALIS_AGENT_TLS: 'proxy' })).toThrow(ConfigError);
    expect(() => loadConfig({ OPTRALIS_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(() => loadConfig({ OPTRALIS_TRUSTED_PROXIES: 'proxy.example' })).toThrow(ConfigError);
  });
});
