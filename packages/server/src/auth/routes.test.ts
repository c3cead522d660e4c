import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { createClient } from '../clients/store';
import { createUser } from './store';

const START = new Date('2026-03-01T08:00:00.000Z');
const HOUR = 3_600_000;

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('session tokens the server did not issue as they are', () => {
  let server: TestServer;
  let now = START;
  let session: string;

  beforeAll(async () => {
    server = await startTestServer({ clock: () => now, env: { OPTRALIS_LOGIN_RATE: '0' } });
    const clientId = (await createClient(server.ctx.db, 'Acme', START)).id;
    const input = {
      email: 'viewer@acme.test',
      password: 'a-long-enough-password',
      role: 'read_only' as const,
      clientId,
    };
    await createUser(server.ctx.db, input, START);
    session = await login(server.publicApp, input.email, input.password);
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function me(token: string) {
    const answer = await server.publicApp.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: answer.statusCode, body: answer.json() };
  }

  async function clients(token: string) {
    const answer = await server.publicApp.inject({
      method: 'GET',
      url: '/api/admin/clients',
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: answer.statusCode, code: answer.json().error?.code };
  }

  it('accepts the session it issued', async () => {
    now = START;
    const answer = await me(session);
    expect(answer.status).toBe(200);
    expect(answer.body.user).toMatchObject({ email: 'viewer@acme.test', role: 'read_only' });
  });

  it('refuses a session whose signature was altered', async () => {
    now = START;
    const [header, payload, signature = ''] = session.split('.');
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    const answer = await me(`${header}.${payload}.${flipped}`);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthorized');
  });

  it('refuses a session signed with another secret', async () => {
    now = START;
    const claims = decode(session.split('.')[1] ?? '');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(Buffer.from('not-the-server-secret-not-the-server-secret'));
    expect((await me(forged)).status).toBe(401);
  });

  it('refuses a session whose role was raised without signing it again', async () => {
    now = START;
    const [header, payload = '', signature] = session.split('.');
    const claims = decode(payload);
    expect(claims.role).toBe('read_only');
    const raised = `${header}.${base64url({ ...claims, role: 'super_admin' })}.${signature}`;
    expect((await me(raised)).status).toBe(401);
    expect(await clients(raised)).toEqual({ status: 401, code: 'unauthorized' });
    // The genuine session reaches the same route and is turned away for its role, not its token.
    expect(await clients(session)).toEqual({ status: 403, code: 'forbidden' });
  });

  it('refuses an unsigned session (alg none)', async () => {
    now = START;
    const claims = { ...decode(session.split('.')[1] ?? ''), role: 'super_admin' };
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    expect((await me(unsigned)).status).toBe(401);
    expect(await clients(unsigned)).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('refuses a session once it has expired by the server clock', async () => {
    const { exp, iat } = decode(session.split('.')[1] ?? '') as { exp: number; iat: number };
    expect(exp - iat).toBe(12 * 3600);

    now = new Date(START.getTime() + 12 * HOUR - 60_000);
    expect((await me(session)).status).toBe(200);
    now = new Date(START.getTime() + 12 * HOUR + 1_000);
    const expired = await me(session);
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('unauthorized');
  });
});
