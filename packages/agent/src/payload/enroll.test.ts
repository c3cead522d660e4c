import fs from 'node:fs';
import path from 'node:path';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import { initCa } from '../../../server/src/ca';
import { createClient } from '../../../server/src/clients/store';
import { createInstallToken } from '../../../server/src/tokens/service';
import { findToken } from '../../../server/src/tokens/store';
import { main } from '../cli';
import { enrollFromPayload } from '../enroll';
import { AgentError } from '../errors';

describe('enrolling with what a personalized installer carries', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer();
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function tokenPayload(): Promise<InstallerPayload> {
    const made = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'windows_installer',
      // This test runs on Linux; the payload logic does not depend on the platform.
      platform: 'any',
    });
    return {
      config: {
        mode: 'token',
        api_url: server.agentApiUrl,
        public_url: server.publicUrl,
        channel: 'stable',
        client_id: clientId,
        token_id: made.row.id,
        created_at: made.row.created_at,
      },
      caCert: server.ctx.caTrust.bundlePem,
      token: made.value,
      releaseKey: server.ctx.releaseKey.info,
    };
  }

  it('trades the token and trusts the CA it brought', async () => {
    const dir = tempDir('payload-enroll');
    const payload = await tokenPayload();
    const result = await enrollFromPayload(payload, {
      configDir: dir,
      hostname: 'pc-1',
      hardwareId: 'hw-1',
    });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      api_url: server.agentApiUrl,
      client_id: clientId,
      machine_id: result.machineId,
      mtls_enabled: true,
    });
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(payload.caCert);
    expect(fs.statSync(path.join(dir, 'client.key')).mode & 0o777).toBe(0o600);
    const releaseKey = JSON.parse(fs.readFileSync(path.join(dir, 'release-key.json'), 'utf8'));
    expect(releaseKey).toEqual(payload.releaseKey);
  });

  it('refuses a server whose CA is not the one the installer was made for, before the token is spent', async () => {
    const dir = tempDir('payload-other-ca');
    const otherCa = tempDir('other-ca');
    await initCa(otherCa);
    const payload = {
      ...(await tokenPayload()),
      caCert: fs.readFileSync(path.join(otherCa, 'ca.crt'), 'utf8'),
    };
    const failure = await enrollFromPayload(payload, { configDir: dir, hardwareId: 'hw-2' }).catch(
      (e) => e,
    );
    expect(failure).toBeInstanceOf(AgentError);
    expect((failure as AgentError).code).toBe('ca_unknown');
    expect(fs.readdirSync(dir)).toEqual([]);
    const token = await findToken(server.ctx.db, payload.config.token_id as string, clientId);
    expect(token?.usage_count).toBe(0);
  });

  it('refuses a server that signs updates with another key', async () => {
    const dir = tempDir('payload-other-key');
    const good = await tokenPayload();
    const payload = {
      ...good,
      releaseKey: {
        ...(good.releaseKey as NonNullable<InstallerPayload['releaseKey']>),
        key_id: '0123456789abcdef',
      },
    };
    const failure = await enrollFromPayload(payload, { configDir: dir, hardwareId: 'hw-3' }).catch(
      (e) => e,
    );
    expect((failure as AgentError).code).toBe('release_key_mismatch');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('installs a certificate-mode identity without asking any server', async () => {
    const dir = tempDir('payload-certificate');
    const payload: InstallerPayload = {
      config: {
        mode: 'certificate',
        api_url: 'https://127.0.0.1:9/',
        public_url: 'http://127.0.0.1:9/',
        channel: 'beta',
        client_id: clientId,
        machine_id: '01JMACHINE0000000000000000',
        created_at: new Date().toISOString(),
      },
      caCert: server.ctx.caTrust.bundlePem,
      clientCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      clientKey: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
    };
    const result = await enrollFromPayload(payload, { configDir: dir });
    expect(result.machineId).toBe('01JMACHINE0000000000000000');
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ channel: 'beta', api_url: 'https://127.0.0.1:9/' });
    expect(fs.readFileSync(path.join(dir, 'client.key'), 'utf8')).toBe(payload.clientKey);
    expect(fs.statSync(path.join(dir, 'client.key')).mode & 0o777).toBe(0o600);
  });

  it('`enroll` without --url or token, from a program with no payload, says what to do', async () => {
    const dir = tempDir('payload-none');
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => errors.push(String(chunk)) > 0) as typeof write;
    try {
      expect(await main(['enroll', '--config-dir', dir])).toBe(64);
      expect(await main(['enroll', '--config-dir', dir, '--token', 'x'])).toBe(64);
    } finally {
      process.stderr.write = write;
    }
    expect(errors[0]).toContain('this executable carries no installer payload');
    expect(errors[1]).toContain('--url');
  });
});
