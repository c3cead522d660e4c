import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { x509 } from '../ca';
import { createClient } from '../clients/store';
import { findMachine } from '../machines/store';
import { createToken } from '../tokens/service';

describe('POST /api/public/bootstrap and the dashboard API', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer();
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function token() {
    const made = await createToken(
      server.ctx.db,
      {
        clientId,
        createdBy: 'test',
        ttlMinutes: 15,
        maxUsage: 1,
        platform: 'any',
        kind: 'command',
      },
      new Date(),
    );
    return made.value;
  }

  it('makes the key on the server when the request carries no CSR (original contract)', async () => {
    const response = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: await token(), hostname: 'legacy-01', hardware_id: 'hw-1', arch: 'x86_64' },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ client_id: clientId, api_url: server.agentApiUrl });
    expect(body.private_key).toContain('-----BEGIN PRIVATE KEY-----');
    const certificate = new x509.X509Certificate(body.certificate);
    expect(certificate.subject).toBe(`CN=${clientId}:${body.machine_id}, O=Optralis`);
  });

  it('puts the machine on the channel the installer names; a reinstall keeps it', async () => {
    const enroll = async (payload: Record<string, unknown>) => {
      const response = await server.publicApp.inject({
        method: 'POST',
        url: '/api/public/bootstrap',
        payload: { token: await token(), hostname: 'beta-01', hardware_id: 'hw-beta', ...payload },
      });
      expect(response.statusCode).toBe(200);
      return response.json() as { machine_id: string; channel: string };
    };
    const first = await enroll({ channel: 'beta' });
    expect(first.channel).toBe('beta');
    const again = await enroll({});
    expect(again).toMatchObject({ machine_id: first.machine_id, channel: 'beta' });
    const machine = await findMachine(server.ctx.db, first.machine_id, clientId);
    expect(machine?.channel).toBe('beta');

    const back = await enroll({ channel: 'stable' });
    expect(back).toMatchObject({ machine_id: first.machine_id, channel: 'stable' });
    expect((await findMachine(server.ctx.db, first.machine_id, clientId))?.channel).toBe('stable');
  });

  it('answers a bad request with a stable code and spends nothing', async () => {
    const value = await token();
    const response = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: value, hostname: 'bad-01', arch: 'mips' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_arch', field: 'arch' });
    expect(response.body).not.toContain(value);

    const retry = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: value, hostname: 'good-01', arch: 'arm64' },
    });
    expect(retry.statusCode).toBe(200);
  });

  it('refuses before spending the token when the installer names a CA it does not trust', async () => {
    const value = await token();
    const trusted = new x509.X509Certificate(server.ctx.ca.certificatePem);
    const ours = Buffer.from(await trusted.getThumbprint('SHA-256')).toString('hex');
    const enroll = (ca: string, hostname: string) =>
      server.publicApp.inject({
        method: 'POST',
        url: '/api/public/bootstrap',
        payload: { token: value, hostname, ca_sha256: ca },
      });

    const refused = await enroll('0'.repeat(64), 'old-ca-01');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('ca_unknown');
    // The token's single use is still there: the same token enrolls when the CA is ours.
    const accepted = await enroll(ours, 'new-ca-01');
    expect(accepted.statusCode).toBe(200);
  });

  it('logs in and lists machines with the session token', async () => {
    const login = await server.publicApp.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'admin@localhost', password: 'correct-horse-battery' },
    });
    expect(login.statusCode).toBe(200);
    const session = login.json().token as string;

    const machines = await server.publicApp.inject({
      method: 'GET',
      url: '/api/machines',
      headers: { authorization: `Bearer ${session}` },
    });
    expect(machines.statusCode).toBe(200);
    const hostnames = machines.json().machines.map((m: { hostname: string }) => m.hostname);
    expect(hostnames).toEqual(expect.arrayContaining(['legacy-01', 'good-01']));

    const anonymous = await server.publicApp.inject({ method: 'GET', url: '/api/machines' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('unauthorized');
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    const login = await server.publicApp.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'admin@localhost', password: 'wrong-password' },
    });
    expect(login.statusCode).toBe(401);
    expect(login.json().error.code).toBe('login_failed');
  });
});
