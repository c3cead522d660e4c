import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../packages/server/src/logger';
import { json, optralis } from '../support/processes';
import { startTestServer, type TestServer } from '../support/server';

const PASSWORD = 'correct-horse-battery';

describe('server logs', () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('never contain a token, a password or a private key, and carry request ids', async () => {
    const captured: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => captured.push(chunk.toString()));
    const log = createLogger({ level: 'trace', format: 'json', destination: stream });
    server = await startTestServer({ log, env: { OPTRALIS_ADMIN_PASSWORD: PASSWORD } });
    const s = server;

    const client = json<{ id: string }>(
      await optralis(['--json', 'client', 'create', 'Log'], s.env),
    );
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', client.id], s.env),
    ).token;

    const login = await fetch(`${s.publicUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const jwt = ((await login.json()) as { token: string }).token;
    const badLogin = await fetch(`${s.publicUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password: `${PASSWORD}-wrong` }),
    });
    expect(badLogin.status).toBe(401);
    const machines = await fetch(`${s.publicUrl}/api/machines`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(machines.status).toBe(200);

    const bootstrap = (body: object) =>
      fetch(`${s.publicUrl}/api/public/bootstrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const wrongToken = `${token.slice(0, -4)}AAAA`;
    expect((await bootstrap({ token: wrongToken, hostname: 'log-01' })).status).toBe(403);
    const enrolled = await bootstrap({ token, hostname: 'log-01', arch: 'amd64' });
    expect(enrolled.status).toBe(200);
    const privateKey = ((await enrolled.json()) as { private_key: string }).private_key;
    expect(privateKey).toContain('PRIVATE KEY');
    expect((await bootstrap({ token, hostname: 'log-02' })).status).toBe(403);

    await s.stop();
    server = undefined;
    const text = captured.join('');
    const keyBody = privateKey.split('\n').slice(1, -2).join('');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [token, wrongToken, PASSWORD, jwt, keyBody, 'PRIVATE KEY']) {
      expect(text).not.toContain(secret);
    }
    for (const part of privateKey.split('\n').filter((line) => line.length > 20)) {
      expect(text).not.toContain(part);
    }

    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; reqId?: string });
    const refusals = lines.filter((line) => line.msg === 'bootstrap refused');
    expect(refusals).toHaveLength(2);
    for (const line of refusals) expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
