import { createClientResponseSchema, listClientsResponseSchema } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { listAudit } from '../audit/store';

describe.each(STORES)('clients (tenants) and their administrators on %s', (store) => {
  let server: TestServer;
  let superAdmin: string;

  beforeAll(async () => {
    server = await startServerOn(store, { env: { OPTRALIS_LOGIN_RATE: '0' } });
    superAdmin = (await login('admin@localhost', 'correct-horse-battery')).json().token;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs on the store it names', () => {
    expect(server.ctx.dialect).toBe(store);
  });

  function login(email: string, password: string) {
    return server.publicApp.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password },
    });
  }

  function createClient(session: string, payload: Record<string, unknown>) {
    return server.publicApp.inject({
      method: 'POST',
      url: '/api/admin/clients',
      headers: { authorization: `Bearer ${session}` },
      payload,
    });
  }

  it('creates a client and returns only its administrator’s password, once', async () => {
    const answer = await createClient(superAdmin, { name: 'Acme', admin_email: 'Boss@Acme.test' });
    expect(answer.statusCode).toBe(201);
    const body = createClientResponseSchema.parse(answer.json());
    expect(Object.keys(answer.json()).sort()).toEqual(['admin', 'admin_password', 'client']);
    expect(Object.keys(body.client).sort()).toEqual(['created_at', 'id', 'name']);
    expect(body.admin).toEqual({
      id: expect.any(String),
      email: 'boss@acme.test',
      role: 'client_admin',
    });
    expect(body.admin_password).toMatch(/^[A-Za-z0-9]{20}$/);

    const listed = await server.publicApp.inject({
      method: 'GET',
      url: '/api/admin/clients',
      headers: { authorization: `Bearer ${superAdmin}` },
    });
    expect(listClientsResponseSchema.parse(listed.json()).clients).toContainEqual(body.client);
    expect(listed.body).not.toContain(body.admin_password);
    const audit = await listAudit(server.ctx.db, body.client.id);
    expect(JSON.stringify(audit)).not.toContain(body.admin_password);

    const session = await login('boss@acme.test', body.admin_password);
    expect(session.statusCode).toBe(200);
    expect(session.json().user).toMatchObject({ role: 'client_admin', client_id: body.client.id });

    // A client administrator cannot create clients.
    const refused = await createClient(session.json().token, {
      name: 'X',
      admin_email: 'x@x.test',
    });
    expect(refused.statusCode).toBe(403);
  });

  it('refuses a taken email and bad fields without creating anything', async () => {
    const before = await server.ctx.db.selectFrom('clients').select('id').execute();
    const taken = await createClient(superAdmin, { name: 'Dup', admin_email: 'boss@acme.test' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'email_taken', field: 'admin_email' });
    const bad = await createClient(superAdmin, { name: '', admin_email: 'not-an-email' });
    expect(bad.statusCode).toBe(400);
    const after = await server.ctx.db.selectFrom('clients').select('id').execute();
    expect(after).toHaveLength(before.length);
  });

  it('rate-limits logins from one address', async () => {
    const limitedServer = await startServerOn(store, { env: { OPTRALIS_LOGIN_RATE: '3' } });
    const login = (email: string, password: string) =>
      limitedServer.publicApp.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email, password },
      });
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await login('admin@localhost', 'wrong-password'));
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401]);
    const limited = await login('admin@localhost', 'correct-horse-battery');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    await limitedServer.stop();
  });
});
