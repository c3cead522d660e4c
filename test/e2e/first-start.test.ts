import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../support/processes';
import { tempDir } from '../support/server';

interface Banner {
  public_url: string;
  admin_email?: string;
  admin_password?: string;
}

// The first-start password must come from the server, not from whoever runs the tests.
delete process.env.OPTRALIS_ADMIN_PASSWORD;

function banner(server: ServerProcess): Banner {
  const line = server
    .output()
    .split('\n')
    .find((text) => text.startsWith('{"public_url"'));
  if (!line) throw new Error(`no banner in:\n${server.output()}`);
  return JSON.parse(line) as Banner;
}

/** The messages of the JSON log lines the server wrote on standard error. */
function logMessages(server: ServerProcess): string[] {
  return server
    .errors()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

async function login(publicUrl: string, email: string, password: string) {
  const response = await fetch(`${publicUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, body: (await response.json()) as { token?: string } };
}

function environment(dataDir: string, extra: Record<string, string> = {}) {
  return {
    OPTRALIS_DATA_DIR: dataDir,
    OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
    OPTRALIS_LOG_LEVEL: 'info',
    OPTRALIS_LOG_FORMAT: 'json',
    ...extra,
  };
}

describe('the first start of a server', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop()));
  });

  async function start(env: Record<string, string>) {
    const server = await startServerProcess(env);
    running.push(server);
    return server;
  }

  it('prints a generated admin password once, and makes a CA that a restart keeps', async () => {
    const dataDir = tempDir('first-start');
    const env = environment(dataDir);

    const first = await start(env);
    const shown = banner(first);
    expect(shown.admin_email).toBe('admin@localhost');
    expect(shown.admin_password).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
    const password = shown.admin_password ?? '';

    const session = await login(first.publicUrl, 'admin@localhost', password);
    expect(session.status).toBe(200);
    const machines = await fetch(`${first.publicUrl}/api/machines`, {
      headers: { authorization: `Bearer ${session.body.token}` },
    });
    expect(machines.status).toBe(200);
    expect(await machines.json()).toEqual({ machines: [] });

    const caDir = path.join(dataDir, 'ca');
    const certificate = fs.readFileSync(path.join(caDir, 'ca.crt'), 'utf8');
    const key = fs.readFileSync(path.join(caDir, 'ca.key'), 'utf8');
    expect(certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(fs.statSync(path.join(caDir, 'ca.key')).mode & 0o777).toBe(0o600);
    await first.stop();
    expect(logMessages(first)).toContain('created a new certificate authority');
    expect(logMessages(first)).toContain('created the first super-admin');
    expect(first.errors()).not.toContain(password);

    const second = await start(env);
    expect(banner(second)).toEqual({
      public_url: second.publicUrl,
      dashboard_url: `${second.publicUrl}/dashboard/`,
      agent_api_url: second.agentApiUrl,
    });
    expect((await login(second.publicUrl, 'admin@localhost', password)).status).toBe(200);
    expect(fs.readFileSync(path.join(caDir, 'ca.crt'), 'utf8')).toBe(certificate);
    expect(fs.readFileSync(path.join(caDir, 'ca.key'), 'utf8')).toBe(key);
    await second.stop();
    expect(logMessages(second)).toContain('listening');
    expect(logMessages(second)).not.toContain('created a new certificate authority');
    expect(logMessages(second)).not.toContain('created the first super-admin');
  });

  it('prints no password when the operator supplies OPTRALIS_ADMIN_PASSWORD', async () => {
    const dataDir = tempDir('first-start-supplied');
    const env = environment(dataDir, {
      OPTRALIS_ADMIN_EMAIL: 'ops@example.test',
      OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
    });

    const server = await start(env);
    expect(banner(server)).toEqual({
      public_url: server.publicUrl,
      dashboard_url: `${server.publicUrl}/dashboard/`,
      agent_api_url: server.agentApiUrl,
      admin_email: 'ops@example.test',
    });
    expect(server.output()).not.toContain('correct-horse-battery');
    expect(
      (await login(server.publicUrl, 'ops@example.test', 'correct-horse-battery')).status,
    ).toBe(200);
    expect(fs.existsSync(path.join(dataDir, 'ca', 'ca.crt'))).toBe(true);
  });
});
