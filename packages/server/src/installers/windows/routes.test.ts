import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  type InstallerPayload,
  locatePayload,
  readPayloadZip,
} from '@optralis/protocol/installer-payload';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticPe } from '../../../../../test/support/pe';
import { rawRequest as get } from '../../../../../test/support/raw-http';
import { startTestServer, type TestServer, tempDir } from '../../../../../test/support/server';
import { login } from '../../../../../test/support/sessions';
import { listAudit } from '../../audit/store';
import { createUser } from '../../auth/store';
import { createClient } from '../../clients/store';
import { findMachine } from '../../machines/store';
import { findToken, listTokens } from '../../tokens/store';

const PASSWORD = 'a-long-enough-password';
const CLIENT_NAME = 'Société: Générale / R&D?';
const CLIENT_FILE = 'optralis-agent-Société-Générale-R&D';

function payloadOf(body: Buffer): InstallerPayload {
  const zip = locatePayload({
    size: body.length,
    read: (position, length) => body.subarray(position, position + length),
  });
  if (!zip) throw new Error('no payload');
  return readPayloadZip(zip);
}

/** The file name a browser takes from Content-Disposition (RFC 6266 section 4.3). */
function downloadName(header: string | undefined): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header ?? '');
  if (extended?.[1]) return decodeURIComponent(extended[1]);
  return /filename=([^;\s]+)/.exec(header ?? '')?.[1] ?? '';
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Puts `base` in the stable channel with its metadata-windows.json, as a build would. */
function publishBase(server: TestServer, base: Buffer, version = '1.4.0', checksum?: string) {
  const dir = path.join(server.config.downloadsDir, 'stable');
  fs.mkdirSync(dir, { recursive: true });
  const filename = `optralis-agent-v${version}.exe`;
  fs.writeFileSync(path.join(dir, filename), base);
  const metadata = {
    version,
    channel: 'stable',
    platform: 'windows',
    architecture: 'amd64',
    filename,
    checksum_sha256: checksum ?? sha256(base),
    file_size_bytes: base.length,
    build_time: '2026-01-01T10:00:00Z',
  };
  fs.writeFileSync(path.join(dir, 'metadata-windows.json'), `${JSON.stringify(metadata)}\n`);
}

async function setUp(env: Record<string, string> = {}) {
  const server = await startTestServer({ env: { OPTRALIS_LOGIN_RATE: '0', ...env } });
  const now = new Date();
  const client = await createClient(server.ctx.db, CLIENT_NAME, now);
  const sessions: Record<string, string> = {};
  for (const role of ['client_admin', 'read_only'] as const) {
    const email = `${role}@${client.id.toLowerCase()}.test`;
    await createUser(server.ctx.db, { email, password: PASSWORD, role, clientId: client.id }, now);
    sessions[role] = await login(server.publicApp, email, PASSWORD);
  }
  sessions.super = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
  const download = (query = '', session = sessions.client_admin, headers = {}) =>
    get(`${server.publicUrl}/api/installer/windows${query}`, {
      ...(session ? { authorization: `Bearer ${session}` } : {}),
      ...headers,
    });
  const enroll = (token: string, hostname: string) =>
    server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token, hostname, platform: 'windows', arch: 'amd64' },
    });
  return { server, client, sessions, download, enroll };
}

describe('GET /api/installer/windows with a stable Windows build', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  const base = syntheticPe({ sectionBytes: 0x20000 });

  beforeAll(async () => {
    env = await setUp();
    publishBase(env.server, base);
  });

  afterAll(async () => {
    await env?.server.stop();
  });

  it('sends the build with a new 24-hour token in its payload, named after the client id', async () => {
    const answer = await env.download('?max_usage=10');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/vnd.microsoft.portable-executable');
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers['content-encoding']).toBeUndefined();
    // No stable release names the build yet: the specification's optralis-agent-{clientId}.exe.
    expect(answer.headers['content-disposition']).toBe(
      `attachment; filename=optralis-agent-${env.client.id}.exe`,
    );

    // The build's bytes are all there, unchanged past the headers, before the payload.
    expect(answer.body.subarray(0x400, base.length).equals(base.subarray(0x400))).toBe(true);
    const payload = payloadOf(answer.body);
    expect(payload.config).toMatchObject({
      mode: 'token',
      client_id: env.client.id,
      public_url: env.server.publicUrl,
      api_url: env.server.agentApiUrl,
      channel: 'stable',
    });
    expect(payload.caCert).toBe(env.server.ctx.caTrust.bundlePem);
    expect(payload.releaseKey).toEqual(env.server.ctx.releaseKey.info);

    const row = await findToken(
      env.server.ctx.db,
      payload.config.token_id as string,
      env.client.id,
    );
    expect(row).toMatchObject({ kind: 'windows_installer', platform: 'windows', max_usage: 10 });
    const lifetime = Date.parse(row?.expires_at ?? '') - Date.parse(row?.created_at ?? '');
    expect(lifetime).toBe(24 * 3_600_000);
    expect(payload.config.expires_at).toBe(row?.expires_at);

    // The token in the payload enrolls machines, and the progress endpoint counts them.
    const enrolled = await env.enroll(payload.token as string, 'pc-1');
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    const progress = await env.server.publicApp.inject({
      method: 'GET',
      url: '/api/install-tokens/windows/active',
      headers: { authorization: `Bearer ${env.sessions.read_only}` },
    });
    expect(progress.json().token).toMatchObject({ id: row?.id, usage_count: 1, max_usage: 10 });
  });

  it('max_usage=0 gives a token for any number of machines, and no max_usage gives one for one', async () => {
    const tokenOf = async (query: string) => {
      const answer = await env.download(query);
      expect(answer.status).toBe(200);
      const payload = payloadOf(answer.body);
      const row = await findToken(
        env.server.ctx.db,
        payload.config.token_id as string,
        env.client.id,
      );
      const audit = await listAudit(env.server.ctx.db, env.client.id);
      const event = audit.find(
        (item) => item.action === 'installer.generated' && item.subject === row?.id,
      );
      return { payload, row, details: JSON.parse(event?.details ?? '{}') };
    };

    const unlimited = await tokenOf('?max_usage=0');
    expect(unlimited.row).toMatchObject({ max_usage: 0, usage_count: 0 });
    expect(unlimited.details).toMatchObject({ mode: 'token', max_usage: 0 });
    for (const hostname of ['pc-a', 'pc-b', 'pc-c']) {
      const enrolled = await env.enroll(unlimited.payload.token as string, hostname);
      expect(enrolled.statusCode, enrolled.body).toBe(200);
    }
    const spent = await findToken(env.server.ctx.db, unlimited.row?.id as string, env.client.id);
    expect(spent).toMatchObject({ max_usage: 0, usage_count: 3 });

    const single = await tokenOf('');
    expect(single.row).toMatchObject({ max_usage: 1, usage_count: 0 });
    expect(single.details).toMatchObject({ mode: 'token', max_usage: 1 });
    expect((await env.enroll(single.payload.token as string, 'pc-d')).statusCode).toBe(200);
    const second = await env.enroll(single.payload.token as string, 'pc-e');
    expect(second.statusCode).toBe(403);
    expect(second.json().error.code).toBe('token_exhausted');
  });

  it('makes a new token for every download', async () => {
    const first = payloadOf((await env.download()).body);
    const second = payloadOf((await env.download()).body);
    expect(first.token).not.toBe(second.token);
    expect(first.config.token_id).not.toBe(second.config.token_id);
  });

  it('names the file after the stable release whose SHA-256 is the build’s', async () => {
    const create = (overrides: Record<string, unknown>) =>
      env.server.publicApp.inject({
        method: 'POST',
        url: '/api/agent-versions',
        headers: { authorization: `Bearer ${env.sessions.super}` },
        payload: {
          version: '1.4.0',
          platform: 'windows',
          checksum_sha256: sha256(base),
          file_size_bytes: base.length,
          download_url: `${env.server.publicUrl}/downloads/stable/optralis-agent-v1.4.0.exe`,
          ...overrides,
        },
      });
    // A beta release or an inactive one is not "a stable version".
    expect((await create({ channel: 'beta', version: '1.4.0-beta.1' })).statusCode).toBe(201);
    expect((await create({ version: '1.3.9', is_active: false })).statusCode).toBe(201);
    const before = await env.download();
    expect(downloadName(before.headers['content-disposition'])).toBe(
      `optralis-agent-${env.client.id}.exe`,
    );

    expect((await create({})).statusCode).toBe(201);
    const answer = await env.download();
    expect(answer.headers['content-disposition']).toBe(
      'attachment; filename=optralis-agent-v1.4.0.exe',
    );
    const audit = await listAudit(env.server.ctx.db, env.client.id);
    const event = audit.find((item) => item.action === 'installer.generated');
    expect(JSON.parse(event?.details ?? '{}')).toMatchObject({
      platform: 'windows',
      format: 'exe',
      version: '1.4.0',
      file_name: 'optralis-agent-v1.4.0.exe',
    });
  });

  it('sends gzip to clients that accept it, inflating to a complete installer', async () => {
    for (let round = 0; round < 2; round += 1) {
      const answer = await env.download('', env.sessions.client_admin, {
        'accept-encoding': 'gzip, deflate, br',
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe('gzip');
      expect(answer.headers.vary).toBe('Accept-Encoding');
      expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
      const inflated = zlib.gunzipSync(answer.body);
      expect(inflated.subarray(0x400, base.length).equals(base.subarray(0x400))).toBe(true);
      expect(payloadOf(inflated).config.client_id).toBe(env.client.id);
    }
    const refused = await env.download('', env.sessions.client_admin, {
      'accept-encoding': 'gzip;q=0',
    });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('certificate mode carries one machine’s certificate and key, and no token', async () => {
    const answer = await env.download('?mode=certificate');
    expect(answer.status).toBe(200);
    const payload = payloadOf(answer.body);
    expect(payload.token).toBeUndefined();
    expect(payload.config.mode).toBe('certificate');
    expect(payload.clientKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const certificate = new crypto.X509Certificate(payload.clientCert as string);
    expect(certificate.subject).toContain(`CN=${env.client.id}:${payload.config.machine_id}`);
    expect(certificate.verify(new crypto.X509Certificate(payload.caCert).publicKey)).toBe(true);
    const machine = await findMachine(
      env.server.ctx.db,
      payload.config.machine_id as string,
      env.client.id,
    );
    expect(machine).toMatchObject({ hostname: 'pending-install', platform: 'windows' });
    const tokens = await listTokens(env.server.ctx.db, env.client.id);
    const spent = tokens.find((token) => token.id === machine?.token_id);
    expect(spent).toMatchObject({ max_usage: 1, usage_count: 1, kind: 'windows_installer' });
  });

  it('format=zip carries the build unchanged, with the payload files beside it', async () => {
    const answer = await env.download('?format=zip');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/zip');
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    const files = unzipSync(answer.body);
    expect(Object.keys(files).sort()).toEqual([
      'README.txt',
      'ca.crt',
      'config.json',
      'install.ps1',
      'optralis-agent.exe',
      'release-key.json',
      'token.txt',
    ]);
    expect(Buffer.from(files['optralis-agent.exe'] as Uint8Array).equals(base)).toBe(true);
  });

  it.each([
    ['?max_usage=7', 'max_usage'],
    ['?max_usage=-1', 'max_usage'],
    ['?max_usage=ten', 'max_usage'],
    ['?mode=cert', 'mode'],
    ['?format=msi', 'format'],
    ['?mode=certificate&max_usage=10', 'max_usage'],
    ['?colour=blue', 'colour'],
  ])('refuses %s with a 400 naming the field, minting nothing', async (query, field) => {
    const before = (await listTokens(env.server.ctx.db, env.client.id)).length;
    const answer = await env.download(query);
    expect(answer.status).toBe(400);
    const error = JSON.parse(answer.body.toString()).error;
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe(field);
    expect(await listTokens(env.server.ctx.db, env.client.id)).toHaveLength(before);
  });

  it('is for administrators of the client, and HEAD mints nothing', async () => {
    const before = (await listTokens(env.server.ctx.db, env.client.id)).length;
    const anonymous = await env.download('', '');
    expect(anonymous.status).toBe(401);
    const readOnly = await env.download('', env.sessions.read_only);
    expect(JSON.parse(readOnly.body.toString()).error.code).toBe('forbidden');
    const unnamed = await env.download('', env.sessions.super);
    expect(JSON.parse(unnamed.body.toString()).error.field).toBe('client_id');
    const unknown = await env.download('?client_id=01JNOSUCHCLIENT0000000000', env.sessions.super);
    expect(unknown.status).toBe(404);
    const head = await get(
      `${env.server.publicUrl}/api/installer/windows`,
      {
        authorization: `Bearer ${env.sessions.client_admin}`,
      },
      'HEAD',
    );
    expect(head.status).toBe(404);
    expect(await listTokens(env.server.ctx.db, env.client.id)).toHaveLength(before);

    const named = await env.download(`?client_id=${env.client.id}`, env.sessions.super);
    expect(named.status).toBe(200);
  });

  it('records who generated which installer and counts it once', async () => {
    const downloads = async () => {
      const metric = await env.server.ctx.metrics.installerDownloads.get();
      return metric.values.find((value) => value.labels.platform === 'windows')?.value ?? 0;
    };
    const before = await downloads();
    const answer = await env.download('?max_usage=50');
    const payload = payloadOf(answer.body);
    const events = await listAudit(env.server.ctx.db, env.client.id);
    const event = events.find(
      (item) => item.action === 'installer.generated' && item.subject === payload.config.token_id,
    );
    expect(event?.actor).toMatch(/^user:/);
    expect(JSON.parse(event?.details ?? '{}')).toMatchObject({
      platform: 'windows',
      format: 'exe',
      mode: 'token',
      max_usage: 50,
      token_id: payload.config.token_id,
      base: 'stable',
      signed: false,
    });
    expect(event?.details).not.toContain(payload.token as string);
    // Counted by the listener's response hook only, not a second time by the service.
    expect(await downloads()).toBe(before + 1);
  });
});

describe('GET /api/installer/windows with a build that cannot be personalized', () => {
  let env: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    env = await setUp();
    // A stable build that matches its metadata but is no PE this server can add a payload to:
    // install.ps1 can still download it and check its SHA-256.
    publishBase(env.server, crypto.randomBytes(4096));
  });

  afterAll(async () => {
    await env?.server.stop();
  });

  it('sends the fallback ZIP: token, config, the CA and release key to pin, install.ps1, README', async () => {
    const answer = await env.download('?max_usage=50');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/zip');
    // The ZIP carries the client's name: ASCII in filename, the exact spelling in filename*.
    expect(answer.headers['content-disposition']).toMatch(
      /^attachment; filename=optralis-agent-Societe-Generale-R-D\.zip; filename\*=UTF-8''/,
    );
    expect(downloadName(answer.headers['content-disposition'])).toBe(`${CLIENT_FILE}.zip`);
    const files = unzipSync(answer.body);
    expect(Object.keys(files).sort()).toEqual([
      'README.txt',
      'ca.crt',
      'config.json',
      'install.ps1',
      'release-key.json',
      'token.txt',
    ]);
    const text = (name: string) => Buffer.from(files[name] as Uint8Array).toString('utf8');
    const config = JSON.parse(text('config.json'));
    expect(config).toMatchObject({
      mode: 'token',
      client_id: env.client.id,
      public_url: env.server.publicUrl,
    });
    // What the installer pins when install.ps1 gives it token.txt from this folder.
    expect(text('ca.crt')).toBe(env.server.ctx.caTrust.bundlePem);
    expect(JSON.parse(text('release-key.json'))).toEqual(env.server.ctx.releaseKey.info);

    const readme = text('README.txt');
    expect(readme.startsWith('\uFEFF')).toBe(true);
    expect(readme).toContain(CLIENT_NAME);
    expect(readme).toContain('50 machines au plus');
    expect(readme).toContain('up to 50 machines');
    expect(readme).toContain('powershell -ExecutionPolicy Bypass -File .\\install.ps1');
    expect(readme).toContain(`install.ps1 downloads the agent from ${env.server.publicUrl}`);
    expect(readme.replace(/\r\n/g, '')).not.toMatch(/\n/);

    const script = files['install.ps1'] as Uint8Array;
    expect([...script].every((byte) => byte < 0x80)).toBe(true);
    const source = Buffer.from(script).toString('ascii');
    expect(source.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(source).toContain(
      "$arguments += @('-token-file', ('\"{0}\"' -f (Join-Path $here 'token.txt')))",
    );
    expect(source).toContain('metadata-windows.json');
    expect(source).toContain('Get-FileHash -Algorithm SHA256');

    const enrolled = await env.enroll(text('token.txt').trim(), 'zip-pc');
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    const event = (await listAudit(env.server.ctx.db, env.client.id)).find(
      (item) => item.action === 'installer.generated',
    );
    expect(JSON.parse(event?.details ?? '{}')).toMatchObject({
      format: 'zip',
      base: null,
      fallback_reason: 'the Windows build cannot be used (the server log says why)',
    });
    expect(event?.details).not.toContain(env.server.config.downloadsDir);
  });
});

describe('GET /api/installer/windows with no Windows build to send', () => {
  let env: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    env = await setUp();
  });

  afterAll(async () => {
    await env?.server.stop();
  });

  async function refusal(query: string) {
    const before = (await listTokens(env.server.ctx.db, env.client.id)).length;
    const answer = await env.download(query);
    const body = JSON.parse(answer.body.toString());
    // Nothing was made for a download that cannot install anything.
    expect(await listTokens(env.server.ctx.db, env.client.id)).toHaveLength(before);
    return { status: answer.status, type: answer.headers['content-type'], body };
  }

  it.each(['', '?format=zip', '?mode=certificate'])(
    'answers %s with 503 windows_build_unavailable, no file and no token',
    async (query) => {
      const answer = await refusal(query);
      expect(answer.status).toBe(503);
      expect(answer.type).toMatch(/^application\/json/);
      expect(answer.body.error).toEqual({
        code: 'windows_build_unavailable',
        message:
          'No Windows build is published in the stable channel, so no Windows installer can be made; publish one first.',
      });
      expect(typeof answer.body.requestId).toBe('string');
      const events = await listAudit(env.server.ctx.db, env.client.id);
      expect(events.filter((item) => item.action === 'installer.generated')).toEqual([]);
    },
  );

  it('nor when the stable build is not the file its metadata describes', async () => {
    publishBase(env.server, syntheticPe(), '1.5.0', 'ab'.repeat(32));
    expect((await refusal('?mode=certificate')).body.error.code).toBe('windows_build_unavailable');
    const truncated = syntheticPe();
    publishBase(env.server, truncated, '1.5.1');
    fs.truncateSync(
      path.join(env.server.config.downloadsDir, 'stable', 'optralis-agent-v1.5.1.exe'),
      100,
    );
    expect((await refusal('?format=zip')).status).toBe(503);
  });
});

describe('STUB_PATH_WINDOWS', () => {
  it('is the base when set; when it is missing, the stable build is used', async () => {
    const stub = syntheticPe({ sectionBytes: 0x1000 });
    const stubFile = path.join(tempDir('stub'), 'optralis-stub.exe');
    fs.writeFileSync(stubFile, stub);
    const env = await setUp({ STUB_PATH_WINDOWS: stubFile });
    try {
      const stable = syntheticPe({ sectionBytes: 0x3000 });
      publishBase(env.server, stable);
      const fromStub = await env.download();
      expect(fromStub.body.subarray(0x400, stub.length).equals(stub.subarray(0x400))).toBe(true);

      fs.rmSync(stubFile);
      const fromStable = await env.download();
      const size = stable.length;
      expect(fromStable.body.subarray(0x400, size).equals(stable.subarray(0x400))).toBe(true);
    } finally {
      await env.server.stop();
    }
  });
});
