import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBase64,
  scriptSettings,
  shellcheck,
} from '../../../../../test/support/linux-scripts';
import { startTestServer, type TestServer } from '../../../../../test/support/server';
import { login } from '../../../../../test/support/sessions';
import { listAudit } from '../../audit/store';
import { createUser } from '../../auth/store';
import { x509 } from '../../ca';
import { createClient } from '../../clients/store';
import { findMachine } from '../../machines/store';
import { hashToken } from '../../tokens/secret';
import { findTokenByHash } from '../../tokens/store';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

describe('the Linux installer routes', () => {
  let server: TestServer;
  let clientId: string;
  let admin: string;
  let reader: string;
  let superAdmin: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { OPTRALIS_LOGIN_RATE: '0', OPTRALIS_METRICS_TOKEN: 'metrics-secret-123' },
    });
    const now = new Date();
    clientId = (await createClient(server.ctx.db, 'Acme', now)).id;
    const password = 'a-long-enough-password';
    const make = (email: string, role: 'client_admin' | 'read_only') =>
      createUser(server.ctx.db, { email, password, role, clientId }, now);
    await make('admin@acme.test', 'client_admin');
    await make('reader@acme.test', 'read_only');
    admin = await login(server.publicApp, 'admin@acme.test', password);
    reader = await login(server.publicApp, 'reader@acme.test', password);
    superAdmin = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
  });

  afterAll(async () => {
    await server?.stop();
  });

  function get(url: string, session?: string) {
    return server.publicApp.inject({
      method: 'GET',
      url,
      headers: session ? { authorization: `Bearer ${session}` } : {},
    });
  }

  async function installerDownloads(): Promise<number> {
    const text = (
      await server.publicApp.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-secret-123' },
      })
    ).body;
    const line = /optralis_installer_downloads_total\{platform="linux"\} (\d+)/.exec(text);
    return Number(line?.[1] ?? 0);
  }

  it('serves /install.sh to anyone, filled in with this server and no secret', async () => {
    const before = await installerDownloads();
    const answer = await get('/install.sh');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/x-shellscript; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(scriptSettings(answer.body)).toMatchObject({
      SERVER_URL: server.publicUrl,
      INSTALLER_MODE: 'generic',
      EMBEDDED_TOKEN: '',
      EMBEDDED_KEY: '',
    });
    expect(answer.body).not.toContain('\r');
    expect(shellcheck(answer.body)).toBe('');
    expect(await installerDownloads()).toBe(before + 1);
  });

  it('serves /uninstall.sh to anyone', async () => {
    const answer = await get('/uninstall.sh');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/x-shellscript; charset=utf-8');
    expect(scriptSettings(answer.body)).toEqual({ SERVER_URL: server.publicUrl });
    expect(shellcheck(answer.body)).toBe('');
  });

  it('gives an administrator a script with a fresh 24-hour Linux token and the CA', async () => {
    const before = await installerDownloads();
    const answer = await get('/api/installer/linux/amd64', admin);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-disposition']).toBe(
      'attachment; filename=install-optralis-agent.sh',
    );
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await installerDownloads()).toBe(before + 1);

    const settings = scriptSettings(answer.body);
    expect(settings).toMatchObject({
      SERVER_URL: server.publicUrl,
      CHANNEL: 'stable',
      INSTALLER_MODE: 'token',
      INSTALLER_ARCH: 'amd64',
      EMBEDDED_KEY: '',
      EMBEDDED_CERTIFICATE: '',
    });
    const ca = decodeBase64(settings.EMBEDDED_CA);
    expect(ca).toBe(server.ctx.caTrust.bundlePem);
    expect(settings.EMBEDDED_CA_SHA256).toBe(sha256(ca));
    expect(answer.body).not.toContain('PRIVATE KEY');

    const token = decodeBase64(settings.EMBEDDED_TOKEN);
    const row = await findTokenByHash(server.ctx.db, hashToken(token));
    expect(row).toMatchObject({
      client_id: clientId,
      kind: 'linux_installer',
      platform: 'linux',
      max_usage: 1,
    });
    const lifetime = Date.parse(row?.expires_at ?? '') - Date.parse(row?.created_at ?? '');
    expect(lifetime).toBe(24 * 3600_000);

    const [event] = await listAudit(server.ctx.db, clientId, 1);
    expect(event).toMatchObject({ action: 'installer.generated', subject: row?.id });
    expect(JSON.parse(event?.details ?? '{}')).toEqual({
      platform: 'linux',
      arch: 'amd64',
      mode: 'token',
      channel: 'stable',
      token_id: row?.id,
      max_usage: 1,
      expires_at: row?.expires_at,
    });
    expect(JSON.stringify(event)).not.toContain(token);
    expect(shellcheck(answer.body)).toBe('');
  });

  it('makes an arm64 beta script whose token enrolls up to the machines asked for', async () => {
    const answer = await get(
      '/api/installer/linux/aarch64?channel=beta&max_usage=3&ttl_minutes=30',
      admin,
    );
    expect(answer.statusCode).toBe(200);
    const settings = scriptSettings(answer.body);
    expect(settings).toMatchObject({ INSTALLER_ARCH: 'arm64', CHANNEL: 'beta' });
    const row = await findTokenByHash(
      server.ctx.db,
      hashToken(decodeBase64(settings.EMBEDDED_TOKEN)),
    );
    expect(row?.max_usage).toBe(3);
    expect(Date.parse(row?.expires_at ?? '') - Date.parse(row?.created_at ?? '')).toBe(1800_000);
    expect(shellcheck(answer.body)).toBe('');
  });

  it('embeds one machine’s certificate and key in certificate mode', async () => {
    const answer = await get('/api/installer/linux/amd64?mode=certificate&channel=beta', admin);
    expect(answer.statusCode).toBe(200);
    const settings = scriptSettings(answer.body);
    expect(settings).toMatchObject({
      INSTALLER_MODE: 'certificate',
      CLIENT_ID: clientId,
      AGENT_API_URL: server.agentApiUrl,
      EMBEDDED_TOKEN: '',
    });
    const certificatePem = decodeBase64(settings.EMBEDDED_CERTIFICATE);
    const keyPem = decodeBase64(settings.EMBEDDED_KEY);
    expect(settings.EMBEDDED_CERTIFICATE_SHA256).toBe(sha256(certificatePem));
    expect(settings.EMBEDDED_KEY_SHA256).toBe(sha256(keyPem));
    const certificate = new x509.X509Certificate(certificatePem);
    expect(certificate.subject).toBe(`CN=${clientId}:${settings.MACHINE_ID}, O=Optralis`);
    const key = crypto.createPrivateKey(keyPem);
    expect(new crypto.X509Certificate(certificatePem).checkPrivateKey(key)).toBe(true);
    expect(JSON.parse(decodeBase64(settings.EMBEDDED_RELEASE_KEY))).toEqual(
      server.ctx.releaseKey.info,
    );

    const machine = await findMachine(server.ctx.db, settings.MACHINE_ID as string, clientId);
    expect(machine).toMatchObject({ platform: 'linux', arch: 'amd64', channel: 'beta' });
    const [event] = await listAudit(server.ctx.db, clientId, 1);
    expect(event).toMatchObject({ action: 'installer.generated', subject: settings.MACHINE_ID });
    expect(event?.details).not.toContain('PRIVATE');
    expect(shellcheck(answer.body)).toBe('');
  });

  it('refuses what it cannot make, with a stable code', async () => {
    const cases: [string, number, string][] = [
      ['/api/installer/linux/armv7l', 400, 'invalid_arch'],
      ['/api/installer/linux/amd64?channel=nightly', 400, 'invalid_channel'],
      ['/api/installer/linux/amd64?mode=magic', 400, 'validation_failed'],
      ['/api/installer/linux/amd64?mode=certificate&max_usage=5', 400, 'validation_failed'],
      ['/api/installer/linux/amd64?max_usage=-1', 400, 'validation_failed'],
      ['/api/installer/linux/amd64?ttl_minutes=1441', 400, 'validation_failed'],
      ['/api/installer/linux/amd64?surprise=1', 400, 'validation_failed'],
    ];
    for (const [url, status, code] of cases) {
      const answer = await get(url, admin);
      expect([url, answer.statusCode, answer.json().error.code]).toEqual([url, status, code]);
    }
  });

  it('is for administrators of the client only', async () => {
    expect((await get('/api/installer/linux/amd64')).statusCode).toBe(401);
    expect((await get('/api/installer/linux/amd64', reader)).json().error.code).toBe('forbidden');
    const unscoped = await get('/api/installer/linux/amd64', superAdmin);
    expect(unscoped.statusCode).toBe(400);
    const scoped = await get(`/api/installer/linux/amd64?client_id=${clientId}`, superAdmin);
    expect(scoped.statusCode).toBe(200);
    const head = await server.publicApp.inject({
      method: 'HEAD',
      url: '/api/installer/linux/amd64',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(head.statusCode).toBe(404);
  });
});
