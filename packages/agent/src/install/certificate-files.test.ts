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

const PASSWORD = 'a-long-enough-password';

describe('installing from the certificate files of the server’s fallback ZIP', () => {
  let server: TestServer;
  let session: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_LOGIN_RATE: '0' } });
    const now = new Date();
    const client = await createClient(server.ctx.db, 'Files client', now);
    const email = `admin@${client.id.toLowerCase()}.test`;
    await createUser(
      server.ctx.db,
      { email, password: PASSWORD, role: 'client_admin', clientId: client.id },
      now,
    );
    session = await login(server.publicApp, email, PASSWORD);
    // Without a Windows build the server makes no installer at all.
    publishWindowsBuild(server.config.downloadsDir, '1.4.0');
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** The ZIP the dashboard gives for one machine, extracted as "Extract All" would. */
  async function extractedZip(): Promise<string> {
    const answer = await rawRequest(
      `${server.publicUrl}/api/installer/windows?mode=certificate&format=zip`,
      { authorization: `Bearer ${session}` },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/zip');
    const dir = tempDir('certificate-zip');
    for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(answer.body)))) {
      fs.writeFileSync(path.join(dir, name), bytes);
    }
    return dir;
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

  function filesRequest(dir: string) {
    return installRequestFrom(
      {
        mtlsCert: path.join(dir, 'client.crt'),
        mtlsKey: path.join(dir, 'client.key'),
        silent: true,
        withLhm: false,
        beta: false,
        help: false,
        uninstall: false,
        elevated: false,
      },
      undefined,
      {},
    );
  }

  it('puts the release key and the CA beside the certificate into the data folder', async () => {
    const dir = await extractedZip();
    const m = machine();
    const outcome = await runInstall(filesRequest(dir), m.deps);
    expect(outcome, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      identity: 'imported',
    });

    const { dataDir, caCert, configFile } = m.platform.paths;
    const releaseKey = JSON.parse(fs.readFileSync(path.join(dataDir, RELEASE_KEY_FILE), 'utf8'));
    expect(releaseKey).toEqual(server.ctx.releaseKey.info);
    expect(fs.readFileSync(caCert, 'utf8')).toBe(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'));
    const zipConfig = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    expect(config).toMatchObject({
      api_url: server.agentApiUrl,
      mtls_enabled: true,
      ca_cert_path: caCert,
      machine_id: zipConfig.machine_id,
      client_id: zipConfig.client_id,
      channel: 'stable',
    });
  });

  it('refuses a key that is not the certificate’s, before writing anything', async () => {
    const first = await extractedZip();
    const second = await extractedZip();
    fs.copyFileSync(path.join(second, 'client.key'), path.join(first, 'client.key'));
    expect(() => filesRequest(first)).toThrow(
      expect.objectContaining({ code: 'certificate_key_mismatch', exitCode: EXIT.badCredentials }),
    );
  });

  it('refuses a certificate that the ca.crt beside it did not issue', async () => {
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
    expect(() => filesRequest(dir)).toThrow(
      expect.objectContaining({ code: 'certificate_not_from_ca', exitCode: EXIT.badCredentials }),
    );
  });

  it('-beta with a certificate is refused with the reason, as the server keeps its channel', async () => {
    const dir = await extractedZip();
    const flags = ['-silent', '-beta', '-mtls-cert', path.join(dir, 'client.crt')];
    flags.push('-mtls-key', path.join(dir, 'client.key'));
    expect(() => installRequestFrom(parseInstallerFlags(flags), undefined, {})).toThrow(
      expect.objectContaining({
        code: 'beta_with_certificate',
        exitCode: EXIT.usage,
        message: expect.stringContaining('changez son canal dans le tableau de bord'),
      }),
    );
  });

  it('says which file is wrong when release-key.json is not a release key', async () => {
    const dir = await extractedZip();
    fs.writeFileSync(path.join(dir, RELEASE_KEY_FILE), '{"key_id": 3}');
    expect(() => filesRequest(dir)).toThrow(
      expect.objectContaining({
        code: 'credentials_unreadable',
        message: expect.stringContaining(RELEASE_KEY_FILE),
      }),
    );
  });
});
