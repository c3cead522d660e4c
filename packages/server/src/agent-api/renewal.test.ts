import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { enrollTestMachine, newClient, type TestMachine } from '../../../../test/support/machines';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { createKeyAndRequest } from '../../../agent/src/crypto';
import { activateCa, rotateCa, x509 } from '../ca';
import { revokeMachine } from '../machines/store';
import { reloadCaTrust } from '../server';
import { renewalsPerDay } from './renewal';

/** Every heartbeat answer carries the signed release sequence; nothing else is asked of it here. */
const SIGNED_RELEASES = expect.objectContaining({ statement: expect.stringContaining('sequence') });

const heartbeat = { version: '1.0.0', platform: 'linux', arch: 'amd64' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Renewed {
  cert: string;
  key: string;
  ca: string;
}

async function renew(server: TestServer, machine: { cert: string; key: string; ca: string }) {
  const made = await createKeyAndRequest('optralis-agent');
  const answer = await agentRequest(`${server.agentApiUrl}/renew`, machine, {
    body: { csr: made.csrPem },
    gzip: true,
  });
  const body = answer.body as { certificate?: string; ca_cert?: string; not_after?: string };
  const renewed: Renewed | undefined = body.certificate
    ? { cert: body.certificate, key: made.privateKeyPem, ca: body.ca_cert ?? '' }
    : undefined;
  return { status: answer.status, body: answer.body, renewed, notAfter: body.not_after };
}

function beat(server: TestServer, machine: { cert: string; key: string; ca: string }, extra = {}) {
  return agentRequest(`${server.agentApiUrl}/heartbeat`, machine, {
    body: { ...heartbeat, ...extra },
    gzip: true,
  });
}

describe('certificate renewal over mutual TLS', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_CERT_LIFETIME_SECONDS: '3600' } });
    clientId = await newClient(server);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('gives the same machine a new certificate; the old one ends when the new one is used', async () => {
    const machine = await enrollTestMachine(server, clientId, 'renew-01');
    const before = Date.now();
    const result = await renew(server, machine);
    expect(result.status).toBe(200);
    const renewed = result.renewed as Renewed;
    const oldCert = new x509.X509Certificate(machine.cert);
    const newCert = new x509.X509Certificate(renewed.cert);
    expect(newCert.subject).toBe(oldCert.subject);
    expect(newCert.serialNumber).not.toBe(oldCert.serialNumber);
    expect(newCert.issuer).toBe(server.ctx.ca.certificate.subject);
    expect(renewed.ca).toBe(server.ctx.caTrust.bundlePem);
    // One hour, as configured in seconds; not before goes back a twentieth of it at most.
    const lifetime = newCert.notAfter.getTime() - before;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000 + 1000);
    expect(before - newCert.notBefore.getTime()).toBeLessThanOrEqual(180_000 + 1000);
    expect(result.notAfter).toBe(newCert.notAfter.toISOString());

    // Until the new certificate is used, the old one still works (the answer may be lost).
    expect((await beat(server, machine)).status).toBe(200);
    expect((await beat(server, { ...machine, ...renewed })).status).toBe(200);
    const old = await beat(server, machine);
    expect(old.status).toBe(403);
    expect(old.body.error?.code).toBe('certificate_revoked');
    expect((await beat(server, { ...machine, ...renewed })).status).toBe(200);
  });

  it('refuses a request whose signature does not match its key', async () => {
    const machine = await enrollTestMachine(server, clientId, 'renew-02');
    const made = await createKeyAndRequest('optralis-agent');
    const der = Buffer.from(x509.PemConverter.decode(made.csrPem)[0] as ArrayBuffer);
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0x01;
    const forged = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    const answer = await agentRequest(`${server.agentApiUrl}/renew`, machine, {
      body: { csr: forged },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('invalid_csr');
  });

  it('does not renew a revoked machine', async () => {
    const machine = await enrollTestMachine(server, clientId, 'renew-03');
    await revokeMachine(server.ctx.db, machine.machineId, clientId, new Date());
    const result = await renew(server, machine);
    expect(result.status).toBe(403);
    expect(result.body.error?.code).toBe('machine_revoked');
  });

  it('limits how many certificates one machine receives in a day', async () => {
    const limit = renewalsPerDay(server.config.certificateLifetimeDays);
    let current: TestMachine | Renewed = await enrollTestMachine(server, clientId, 'renew-04');
    let granted = 0;
    for (;;) {
      const result = await renew(server, current);
      if (result.status !== 200) {
        expect(result.status).toBe(429);
        expect(result.body.error?.code).toBe('rate_limited');
        break;
      }
      granted += 1;
      current = result.renewed as Renewed;
      expect(granted).toBeLessThan(limit);
    }
    // The enrollment's certificate counts: the day's total is the limit.
    expect(granted + 1).toBe(limit);
  });
});

describe('renewal during a CA rotation', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('hands the new trust bundle out at once, and moves the machine onto the new CA once activated', async () => {
    const machine = await enrollTestMachine(server, await newClient(server), 'rotate-01');
    const settled = await beat(server, machine, { ca_bundle_sha256: sha256(machine.ca) });
    expect(settled.body).toEqual({ status: 'ok', releases: SIGNED_RELEASES });

    const hosts = ['localhost', '127.0.0.1', '::1'];
    await rotateCa(server.config.caDir, new Date());
    await reloadCaTrust(server.ctx, server.agentApp, hosts);
    // Published, not yet issuing: the machine learns the bundle but need not renew.
    const published = await beat(server, machine, { ca_bundle_sha256: sha256(machine.ca) });
    expect(published.status).toBe(200);
    expect(published.body.renew).toBeUndefined();
    expect(x509.PemConverter.decode(published.body.ca_bundle as string)).toHaveLength(2);
    const early = await renew(server, { ...machine, ca: published.body.ca_bundle as string });
    expect(new x509.X509Certificate((early.renewed as Renewed).cert).issuer).toBe(
      server.ctx.caTrust.active.certificate.subject,
    );
    expect(server.ctx.caTrust.next).toBeDefined();

    activateCa(server.config.caDir);
    await reloadCaTrust(server.ctx, server.agentApp, hosts);
    const told = await beat(server, early.renewed as Renewed, {
      ca_bundle_sha256: sha256(machine.ca),
    });
    expect(told.status).toBe(200);
    expect(told.body.renew).toBe(true);
    const bundle = told.body.ca_bundle as string;
    expect(bundle).toBe(server.ctx.caTrust.bundlePem);
    expect(x509.PemConverter.decode(bundle)).toHaveLength(2);
    // An agent that does not say which bundle it holds is not sent one.
    expect((await beat(server, early.renewed as Renewed)).body.ca_bundle).toBeUndefined();

    const result = await renew(server, { ...(early.renewed as Renewed), ca: bundle });
    expect(result.status).toBe(200);
    const renewed = result.renewed as Renewed;
    expect(new x509.X509Certificate(renewed.cert).issuer).toBe(
      server.ctx.caTrust.active.certificate.subject,
    );
    const after = await beat(server, renewed, { ca_bundle_sha256: sha256(renewed.ca) });
    expect(after.body).toEqual({ status: 'ok', releases: SIGNED_RELEASES });
  });
});
