import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  buildPayloadZip,
  type InstallerPayload,
  locatePayload,
  readPayloadZip,
} from '@optralis/protocol/installer-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOwnPayload } from '../../packages/agent/src/payload';
import { createUser } from '../../packages/server/src/auth/store';
import { createClient } from '../../packages/server/src/clients/store';
import { findMachine } from '../../packages/server/src/machines/store';
import { hashToken } from '../../packages/server/src/tokens/secret';
import { findToken, findTokenByHash } from '../../packages/server/src/tokens/store';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import { newWinePrefix, runToFiles, stopWine, WINE, wineMachineGuid } from '../support/foreign';
import { startTestServer, type TestServer, tempDir } from '../support/server';
import { login } from '../support/sessions';

const PASSWORD = 'a-long-enough-password';

interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes written to `file` (kept out of memory when `file` is given). */
  bytes: number;
}

/** Downloads to a file, or counts the bytes and drops them (for the memory measurement). */
function download(url: string, headers: Record<string, string>, file?: string) {
  return new Promise<Download>((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const out = file ? fs.createWriteStream(file) : undefined;
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          out?.write(chunk);
        });
        response.on('end', () => {
          const done = () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes });
          if (out) out.end(done);
          else done();
        });
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The payload ZIP of a file, as the agent's reader finds it (a file that has none fails). */
function locateFilePayload(file: string): Uint8Array {
  const handle = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(handle).size;
    const zip = locatePayload({
      size,
      read(position, length) {
        const bytes = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
        return bytes.subarray(0, fs.readSync(handle, bytes, 0, bytes.length, position));
      },
    });
    if (!zip) throw new Error(`${file} carries no payload`);
    return zip;
  } finally {
    fs.closeSync(handle);
  }
}

/** A host path as a Windows program under Wine sees it (Wine maps Z: to /). */
function winePath(hostPath: string): string {
  return `Z:${hostPath.replaceAll('/', '\\')}`;
}

/** A throwaway code-signing certificate and key, made with openssl for this test only. */
async function codeSigningIdentity(dir: string) {
  const key = path.join(dir, 'signing-key.pem');
  const cert = path.join(dir, 'signing-cert.pem');
  const made = await runToFiles('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2'],
    ...['-subj', '/CN=Optralis Test Code Signing', '-keyout', key, '-out', cert],
    ...['-addext', 'extendedKeyUsage=codeSigning', '-addext', 'keyUsage=digitalSignature'],
  ]);
  expect(made.code, made.stderr).toBe(0);
  return { key, cert };
}

describe('personalized Windows installers made from the real agent build', () => {
  let build: AgentBuild<'windows-amd64'>;
  let server: TestServer;
  let wine: Record<string, string>;
  let clientId: string;
  let session: string;

  const installerUrl = (query: string) => `${server.publicUrl}/api/installer/windows${query}`;

  beforeAll(async () => {
    build = await ensureAgentBuild({
      version: '1.0.0',
      channel: 'stable',
      targets: ['windows-amd64'],
    });
    // The build's directory is only read: personalizing writes nothing beside the base.
    server = await startTestServer({ env: { OPTRALIS_DOWNLOADS_DIR: build.dir } });
    const now = new Date();
    clientId = (await createClient(server.ctx.db, 'Contoso', now)).id;
    const email = 'admin@contoso.test';
    await createUser(
      server.ctx.db,
      { email, password: PASSWORD, role: 'client_admin', clientId },
      now,
    );
    session = await login(server.publicApp, email, PASSWORD);
    wine = await newWinePrefix();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the downloaded EXE, renamed, enrolls under Wine with only what its payload carries', async () => {
    const dir = tempDir('windows-installer');
    const file = path.join(dir, 'setup (1).exe');
    const answer = await download(
      installerUrl('?max_usage=1'),
      {
        authorization: `Bearer ${session}`,
        'accept-encoding': 'identity',
      },
      file,
    );
    expect(answer.status).toBe(200);
    expect(answer.bytes).toBe(Number(answer.headers['content-length']));
    const payload = readOwnPayload(file);
    expect(payload?.config.client_id).toBe(clientId);

    const shown = await runToFiles(WINE, [file, 'payload', '--json'], wine);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ mode: 'token', client_id: clientId });
    expect(shown.stdout).not.toContain(payload?.token as string);

    // No --url, no token: everything comes from the executable's own payload.
    const configDir = path.join(dir, 'config');
    const enrolled = await runToFiles(
      WINE,
      [file, 'enroll', '--config-dir', winePath(configDir), '--json'],
      { ...wine, OPTRALIS_TOKEN: '' },
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const result = JSON.parse(enrolled.stdout);
    expect(result.client_id).toBe(clientId);

    const config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      api_url: server.agentApiUrl,
      public_url: server.publicUrl,
      mtls_enabled: true,
      machine_id: result.machine_id,
    });
    expect(fs.readFileSync(path.join(configDir, 'ca.crt'), 'utf8')).toBe(payload?.caCert);
    expect(fs.readFileSync(path.join(configDir, 'client.crt'), 'utf8')).toContain(
      '-----BEGIN CERTIFICATE-----',
    );

    // The machine is the Wine prefix's, and the installer's one use is spent.
    const heartbeat = await runToFiles(
      WINE,
      [file, 'run', '--once', '--config-dir', winePath(configDir)],
      wine,
    );
    expect(heartbeat.code, heartbeat.stderr).toBe(0);
    await stopWine(wine);
    const machine = await findMachine(server.ctx.db, result.machine_id, clientId);
    expect(machine).toMatchObject({ platform: 'windows', arch: 'amd64' });
    expect(machine?.hardware_id).toBe(wineMachineGuid(wine.WINEPREFIX as string));
    expect(machine?.last_seen_at).not.toBeNull();
    const token = await findToken(server.ctx.db, payload?.config.token_id as string, clientId);
    expect(token).toMatchObject({ usage_count: 1, max_usage: 1 });
  });

  it('a signed build keeps a valid Authenticode signature once personalized, and still runs', async () => {
    const dir = tempDir('signed-installer');
    const identity = await codeSigningIdentity(dir);
    const signed = path.join(dir, 'optralis-stub.exe');
    const signing = await runToFiles('osslsigncode', [
      ...['sign', '-h', 'sha256', '-n', 'Optralis Agent'],
      ...['-certs', identity.cert, '-key', identity.key],
      ...['-in', build.files['windows-amd64'], '-out', signed],
    ]);
    expect(signing.code, signing.stderr).toBe(0);
    const signedServer = await startTestServer({
      env: { OPTRALIS_DOWNLOADS_DIR: build.dir, STUB_PATH_WINDOWS: signed },
    });
    try {
      const admin = await login(signedServer.publicApp, 'admin@localhost', 'correct-horse-battery');
      const client = (await createClient(signedServer.ctx.db, 'Fabrikam', new Date())).id;
      // Identity only: that gzip inflates to exactly these bytes is shown on every layout by
      // the unit tests, without compressing another 85 MB here.
      const exe = path.join(dir, 'personalized.exe');
      const asked = new Date();
      const answer = await download(
        `${signedServer.publicUrl}/api/installer/windows?max_usage=50&client_id=${client}`,
        { authorization: `Bearer ${admin}`, 'accept-encoding': 'identity' },
        exe,
      );
      expect(answer.status).toBe(200);
      expect(fs.statSync(exe).size).toBeGreaterThan(fs.statSync(signed).size);

      const verified = await runToFiles('osslsigncode', [
        ...['verify', '-in', exe, '-CAfile', identity.cert],
      ]);
      const output = verified.stdout + verified.stderr;
      expect(verified.code, output).toBe(0);
      expect(output).toContain('Signature verification: ok');
      expect(output).not.toContain('invalid PE checksum');

      // The signed file carries exactly the payload the server made for this download: its
      // fields are the server's own (URLs, CA bundle, release key, the new token's row), and the
      // ZIP is byte for byte what the server's builder makes of them.
      expect(answer.bytes).toBe(Number(answer.headers['content-length']));
      expect(answer.bytes).toBe(fs.statSync(exe).size);
      const zip = locateFilePayload(exe);
      const payload = readPayloadZip(zip);
      const row = await findTokenByHash(signedServer.ctx.db, hashToken(payload.token ?? ''));
      expect(row).toMatchObject({
        client_id: client,
        kind: 'windows_installer',
        max_usage: 50,
        usage_count: 0,
      });
      const createdAt = new Date(payload.config.created_at);
      expect(createdAt.getTime()).toBeGreaterThanOrEqual(asked.getTime());
      expect(createdAt.getTime()).toBeLessThanOrEqual(Date.now());
      if (!row || !payload.token) throw new Error('the payload names no token of this server');
      const lifetime = Date.parse(row.expires_at) - createdAt.getTime();
      expect(lifetime).toBeGreaterThanOrEqual(24 * 3600_000);
      expect(lifetime).toBeLessThan(24 * 3600_000 + 60_000);
      const expected: InstallerPayload = {
        config: {
          mode: 'token',
          api_url: signedServer.agentApiUrl,
          public_url: signedServer.publicUrl,
          channel: 'stable',
          client_id: client,
          created_at: payload.config.created_at,
          token_id: row.id,
          expires_at: row.expires_at,
        },
        caCert: signedServer.ctx.caTrust.bundlePem,
        releaseKey: signedServer.ctx.releaseKey.info,
        token: payload.token,
      };
      expect(payload).toEqual(expected);
      expect(Buffer.from(zip).equals(Buffer.from(buildPayloadZip(expected, createdAt)))).toBe(true);
      expect(readOwnPayload(exe)).toEqual(expected);
      // The signed stub is not the published 1.0.0 build (its bytes differ), so no version
      // names the file: the specification's fallback, the client's id.
      expect(answer.headers['content-disposition']).toBe(
        `attachment; filename=optralis-agent-${client}.exe`,
      );

      const runs = await runToFiles(WINE, [exe, 'payload', '--json'], wine);
      expect(runs.code, runs.stderr).toBe(0);
      expect(JSON.parse(runs.stdout).client_id).toBe(client);
    } finally {
      await signedServer.stop();
    }
  });

  it('20 concurrent downloads keep the server’s memory flat', async () => {
    const base = fs.statSync(build.files['windows-amd64']).size;
    const headers = { authorization: `Bearer ${session}` };
    // Prepare the compressed shared part first, so that the measurement is of serving only.
    await download(installerUrl(''), { ...headers, 'accept-encoding': 'gzip' });

    let peak = process.memoryUsage.rss();
    const before = peak;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        download(installerUrl(''), {
          ...headers,
          'accept-encoding': index % 2 === 0 ? 'identity' : 'gzip',
        }),
      ),
    );
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());

    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.bytes).toBe(Number(answer.headers['content-length']));
    }
    const sent = answers.reduce((sum, answer) => sum + answer.bytes, 0);
    const growth = peak - before;
    process.stdout.write(
      `20 installers, ${(sent / 2 ** 20).toFixed(0)} MiB sent: RSS ${(before / 2 ** 20).toFixed(0)} → ` +
        `${(peak / 2 ** 20).toFixed(0)} MiB at most (+${(growth / 2 ** 20).toFixed(0)} MiB)\n`,
    );
    // One copy of the base per request would be 20 × 85 MB; streaming needs a few MB each.
    expect(growth).toBeLessThan(4 * base);
  });
});
