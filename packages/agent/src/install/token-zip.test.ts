import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RELEASE_KEY_FILE } from '@optralis/protocol';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../../test/support/raw-http';
import { publishWindowsBuild } from '../../../../test/support/release-files';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { createUser } from '../../../server/src/auth/store';
import { createClient } from '../../../server/src/clients/store';
import { dryRunPlatform } from '../windows/dry-run';
import { EXIT } from './errors';
import { parseInstallerFlags } from './flags';
import { runInstall } from './installer';
import { createInstallLog } from './log';
import { installRequestFrom } from './request';
import { runSilent } from './silent';

const PASSWORD = 'a-long-enough-password';

describe('installing with token.txt of the server’s fallback ZIP, as its install.ps1 does', () => {
  let server: TestServer;
  let session: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_LOGIN_RATE: '0' } });
    const now = new Date();
    const client = await createClient(server.ctx.db, 'Token ZIP client', now);
    const email = `admin@${client.id.toLowerCase()}.test`;
    await createUser(
      server.ctx.db,
      { email, password: PASSWORD, role: 'client_admin', clientId: client.id },
      now,
    );
    session = await login(server.publicApp, email, PASSWORD);
    publishWindowsBuild(server.config.downloadsDir, '1.4.0');
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** The token ZIP extracted as "Extract All" would; its token made usable from Linux. */
  async function extractedZip(): Promise<string> {
    const answer = await rawRequest(`${server.publicUrl}/api/installer/windows?format=zip`, {
      authorization: `Bearer ${session}`,
    });
    expect(answer.status).toBe(200);
    const dir = tempDir('token-zip');
    for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(answer.body)))) {
      fs.writeFileSync(path.join(dir, name), bytes);
    }
    // The dry run enrolls from Linux, which a Windows installer token refuses.
    const { token_id } = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    await server.ctx.db
      .updateTable('install_tokens')
      .set({ platform: 'any' })
      .where('id', '=', token_id)
      .execute();
    return dir;
  }

  function flags(dir: string, url = server.publicUrl) {
    return parseInstallerFlags([
      '-silent',
      '-url',
      url,
      '-token-file',
      path.join(dir, 'token.txt'),
    ]);
  }

  function machine() {
    const root = tempDir('windows');
    const exe = path.join(root, 'optralis-agent.exe');
    fs.writeFileSync(exe, 'MZ the agent executable');
    const platform = dryRunPlatform({ root, ownExecutable: exe, machineGuid: crypto.randomUUID() });
    const logFile = path.join(platform.tempDir, 'install.log');
    const deps = {
      platform,
      log: createInstallLog({ file: logFile }),
      service: { waitMs: 2000, pollMs: 10 },
    };
    return { platform, deps, logFile };
  }

  it('enrolls with the ZIP’s CA and release key pinned, and writes those', async () => {
    const dir = await extractedZip();
    const request = installRequestFrom(flags(dir), undefined, {});
    expect(request.credentials).toMatchObject({
      kind: 'token',
      source: 'file',
      payload: {
        caCert: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
        releaseKey: server.ctx.releaseKey.info,
        config: { mode: 'token', public_url: server.publicUrl },
      },
    });
    const m = machine();
    const outcome = await runInstall(request, m.deps);
    expect(outcome, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      identity: 'enrolled',
    });
    const { dataDir, caCert } = m.platform.paths;
    expect(fs.readFileSync(caCert, 'utf8')).toBe(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'));
    const releaseKey = JSON.parse(fs.readFileSync(path.join(dataDir, RELEASE_KEY_FILE), 'utf8'));
    expect(releaseKey).toEqual(server.ctx.releaseKey.info);
  });

  it('refuses a server whose CA is not the ca.crt beside the token, writing nothing', async () => {
    const dir = await extractedZip();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=Another CA',
        '-days',
        '2',
        '-keyout',
        path.join(dir, 'other-ca.key'),
        '-out',
        path.join(dir, 'ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    const m = machine();
    const outcome = await runInstall(installRequestFrom(flags(dir), undefined, {}), m.deps);
    // The installer names its CA in the request, so the server refuses before the token is spent.
    expect(outcome).toMatchObject({ ok: false, code: 'ca_unknown' });
    expect(fs.existsSync(m.platform.paths.caCert)).toBe(false);
    const { token_id } = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const token = await server.ctx.db
      .selectFrom('install_tokens')
      .select('usage_count')
      .where('id', '=', token_id)
      .executeTakeFirstOrThrow();
    expect(token.usage_count).toBe(0);
  });

  it('pins nothing for a token saved elsewhere, or for another server', async () => {
    const dir = await extractedZip();
    const alone = tempDir('token-alone');
    fs.copyFileSync(path.join(dir, 'token.txt'), path.join(alone, 'token.txt'));
    expect(installRequestFrom(flags(alone), undefined, {}).credentials?.payload).toBeUndefined();
    const other = installRequestFrom(flags(dir, 'https://other.example.com'), undefined, {});
    expect(other.credentials?.payload).toBeUndefined();
  });

  it('an expired ZIP says so before the UAC prompt, with status 6', async () => {
    const dir = await extractedZip();
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    fs.writeFileSync(configFile, JSON.stringify({ ...config, expires_at: config.created_at }));
    const platform = dryRunPlatform({ root: tempDir('expired-zip'), administrator: false });
    let elevated = false;
    platform.runElevated = async () => {
      elevated = true;
      return 0;
    };
    const code = await runSilent(flags(dir), { platform, env: {} });
    expect(code).toBe(EXIT.badCredentials);
    expect(elevated).toBe(false);
  });
});
