import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import { publishLinuxBuild, publishWindowsBuild } from '../../../../test/support/release-files';
import type { TestServer } from '../../../../test/support/server';
import { createKeyAndRequest } from '../../../agent/src/crypto';
import { x509 } from '../ca';
import { createClient } from '../clients/store';
import type { TokenPlatform } from '../db/schema';
import { findMachine } from '../machines/store';
import { createToken } from '../tokens/service';

describe.each(STORES)('POST /api/public/bootstrap and the dashboard API on %s', (store) => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startServerOn(store);
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function token(platform: TokenPlatform = 'any') {
    const made = await createToken(
      server.ctx.db,
      { clientId, createdBy: 'test', ttlMinutes: 15, maxUsage: 1, platform, kind: 'command' },
      new Date(),
    );
    return made.value;
  }

  function bootstrap(payload: Record<string, unknown>) {
    return server.publicApp.inject({ method: 'POST', url: '/api/public/bootstrap', payload });
  }

  it('runs on the store it names', () => {
    expect(server.ctx.dialect).toBe(store);
  });

  it('signs the CSR it is given and returns no private key', async () => {
    const { csrPem } = await createKeyAndRequest('optralis-agent');
    const response = await bootstrap({ token: await token(), hostname: 'csr-01', csr: csrPem });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.certificate).toContain('-----BEGIN CERTIFICATE-----');
    expect(Object.keys(body)).not.toContain('private_key');
    expect(response.body).not.toContain('PRIVATE KEY');
  });

  it('makes the key on the server when the request carries no CSR (original contract)', async () => {
    const payload = { token: await token(), hostname: 'legacy-01', hardware_id: 'hw-1' };
    const response = await bootstrap({ ...payload, arch: 'x86_64' });
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
    const channel = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: value, hostname: 'bad-01', channel: 'alpha' },
    });
    expect(channel.statusCode).toBe(400);
    expect(channel.json().error).toMatchObject({
      code: 'invalid_channel',
      field: 'channel',
      message: 'channel: must be stable or beta',
    });

    const retry = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: value, hostname: 'good-01', arch: 'arm64' },
    });
    expect(retry.statusCode).toBe(200);
  });

  it('takes the platform from the token scope when the request names none', async () => {
    const windows = await bootstrap({
      token: await token('windows'),
      hostname: 'spec-win-01',
      hardware_id: 'hw-spec-win',
      arch: 'x86_64',
    });
    expect(windows.statusCode).toBe(200);
    const winId = windows.json().machine_id as string;
    expect((await findMachine(server.ctx.db, winId, clientId))?.platform).toBe('windows');

    const linux = await bootstrap({ token: await token('linux'), hostname: 'spec-lin-01' });
    expect(linux.statusCode).toBe(200);
    const linuxId = linux.json().machine_id as string;
    expect((await findMachine(server.ctx.db, linuxId, clientId))?.platform).toBe('linux');

    const any = await bootstrap({ token: await token('any'), hostname: 'spec-any-01' });
    expect(any.statusCode).toBe(200);
    const anyId = any.json().machine_id as string;
    expect((await findMachine(server.ctx.db, anyId, clientId))?.platform).toBe('linux');
  });

  it('still refuses a request that names another platform than the token', async () => {
    const value = await token('windows');
    const response = await bootstrap({ token: value, hostname: 'wrong-os', platform: 'linux' });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('token_platform_mismatch');
  });

  it("answers the download address of the machine's own platform and architecture", async () => {
    const downloads = server.config.downloadsDir;
    const url = (filename: string) => `${server.ctx.urls.publicUrl}/downloads/stable/${filename}`;
    const binaryUrl = async (payload: Record<string, unknown>) => {
      const response = await bootstrap({ token: await token(), hostname: 'dl', ...payload });
      expect(response.statusCode).toBe(200);
      return response.json().binary_url as string | null;
    };

    expect(await binaryUrl({ hardware_id: 'dl-1', platform: 'windows' })).toBeNull();
    const linuxArm = publishLinuxBuild(downloads);
    expect(await binaryUrl({ hardware_id: 'dl-2', platform: 'windows' })).toBeNull();
    expect(await binaryUrl({ hardware_id: 'dl-3', arch: 'aarch64' })).toBe(url(linuxArm.filename));
    expect(await binaryUrl({ hardware_id: 'dl-4', platform: 'linux', arch: 'amd64' })).toBe(
      url('optralis-agent-linux-amd64-v1.3.0'),
    );

    publishWindowsBuild(downloads, '1.3.0');
    const windows = url('optralis-agent-v1.3.0.exe');
    expect(await binaryUrl({ hardware_id: 'dl-5', platform: 'windows', arch: 'x64' })).toBe(
      windows,
    );
    const scoped = await bootstrap({ token: await token('windows'), hostname: 'dl-scoped' });
    expect(scoped.json().binary_url).toBe(windows);
    // The Windows build is amd64 only: nothing to download for Windows on ARM yet.
    expect(await binaryUrl({ hardware_id: 'dl-6', platform: 'windows', arch: 'arm64' })).toBeNull();
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
