import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, optralis, optralisAgent } from '../support/processes';
import { startTestServer, type TestServer, tempDir } from '../support/server';

interface MachineOut {
  id: string;
  hostname: string;
  last_seen: string | null;
  agent_version: string | null;
}

describe('a Linux machine enrolls and sends heartbeats over mutual TLS', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  /**
   * Every test enrolls this very host, whose hardware id does not change: each gets a client of
   * its own so that its machines are not taken for clones of another test's.
   */
  async function newToken(extra: string[] = []) {
    const created = await optralis(['--json', 'client', 'create', 'Acme'], server.env);
    expect(created.code, created.stderr).toBe(0);
    const clientId = json<{ id: string }>(created).id;
    const result = await optralis(
      ['--json', 'token', 'create', '--client', clientId, ...extra],
      server.env,
    );
    expect(result.code, result.stderr).toBe(0);
    return json<{ id: string; token: string; expires_at: string; max_usage: number }>(result);
  }

  it('enrolls with a token, writes its identity and is listed after one heartbeat', async () => {
    const token = await newToken();
    expect(token.token).toMatch(/^opt_[A-Za-z0-9_-]{43}$/);
    const configDir = tempDir('agent');

    const enrolled = await optralisAgent(
      [
        'enroll',
        '--url',
        server.publicUrl,
        '--config-dir',
        configDir,
        '--hostname',
        'web-01',
        '--json',
      ],
      { OPTRALIS_TOKEN: token.token },
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const machineId = json<{ machine_id: string }>(enrolled).machine_id;

    const config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      api_url: server.agentApiUrl,
      interval: 10,
      mtls_enabled: true,
      mtls_cert_path: path.join(configDir, 'client.crt'),
      mtls_key_path: path.join(configDir, 'client.key'),
    });
    expect(fs.statSync(path.join(configDir, 'client.key')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(configDir, 'ca.crt'), 'utf8')).toBe(
      server.ctx.ca.certificatePem,
    );

    const before = Date.now();
    const ran = await optralisAgent(['run', '--config-dir', configDir, '--once']);
    expect(ran.code, ran.stderr).toBe(0);

    const listed = json<MachineOut[]>(await optralis(['--json', 'machines', 'list'], server.env));
    const machine = listed.find((m) => m.id === machineId);
    expect(machine?.hostname).toBe('web-01');
    expect(machine?.agent_version).toBe('0.0.0-dev');
    expect(Date.parse(machine?.last_seen ?? '')).toBeGreaterThanOrEqual(before - 1000);
  });

  it('refuses a second enrollment with a single-use token and keeps one machine', async () => {
    const token = await newToken(['--max-usage', '1']);
    const first = await optralisAgent(
      [
        'enroll',
        '--url',
        server.publicUrl,
        '--config-dir',
        tempDir('agent'),
        '--hostname',
        'db-01',
      ],
      { OPTRALIS_TOKEN: token.token },
    );
    expect(first.code, first.stderr).toBe(0);

    const second = await optralisAgent(
      [
        'enroll',
        '--url',
        server.publicUrl,
        '--config-dir',
        tempDir('agent'),
        '--hostname',
        'db-02',
      ],
      { OPTRALIS_TOKEN: token.token },
    );
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('The install token has no uses left.');
    expect(second.stderr).not.toContain(token.token);

    const listed = json<MachineOut[]>(await optralis(['--json', 'machines', 'list'], server.env));
    expect(listed.filter((m) => m.hostname.startsWith('db-'))).toHaveLength(1);
    const tokens = json<{ id: string; usage_count: number }[]>(
      await optralis(['--json', 'token', 'list'], server.env),
    );
    expect(tokens.find((t) => t.id === token.id)?.usage_count).toBe(1);
  });

  it('reads the token from a file as well as from the environment', async () => {
    const token = await newToken();
    const dir = tempDir('agent');
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, `${token.token}\n`, { mode: 0o600 });
    const enrolled = await optralisAgent([
      'enroll',
      '--url',
      server.publicUrl,
      '--config-dir',
      path.join(dir, 'config'),
      '--token-file',
      tokenFile,
    ]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
  });

  it('keeps a machine working after its install token is revoked', async () => {
    const token = await newToken(['--max-usage', '0']);
    const configDir = tempDir('agent');
    const enrolled = await optralisAgent(
      ['enroll', '--url', server.publicUrl, '--config-dir', configDir, '--hostname', 'kept-01'],
      { OPTRALIS_TOKEN: token.token },
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);

    const revoked = await optralis(['--json', 'token', 'revoke', token.id], server.env);
    expect(revoked.code, revoked.stderr).toBe(0);
    const ran = await optralisAgent(['run', '--config-dir', configDir, '--once']);
    expect(ran.code, ran.stderr).toBe(0);

    const again = await optralisAgent(
      ['enroll', '--url', server.publicUrl, '--config-dir', tempDir('agent'), '--hostname', 'x'],
      { OPTRALIS_TOKEN: token.token },
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('The install token has been revoked.');
  });
});
