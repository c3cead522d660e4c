import { createUserResponseSchema, listUsersResponseSchema } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { createUser } from '../auth/store';
import { createClient } from '../clients/store';

describe.each(STORES)('users of a client on %s', (store) => {
  let server: TestServer;
  let clientId: string;
  let admin: string;
  let superAdmin: string;

  beforeAll(async () => {
    server = await startServerOn(store, { env: { OPTRALIS_LOGIN_RATE: '0' } });
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    const password = 'a-long-enough-password';
    const role = 'client_admin';
    await createUser(server.ctx.db, { email: 'a@acme.test', password, role, clientId }, new Date());
    admin = (await login('a@acme.test', password)).json().token;
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

  function api(method: 'GET' | 'POST', url: string, session: string, payload?: object) {
    return server.publicApp.inject({
      method,
      url,
      headers: { authorization: `Bearer ${session}` },
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });
  }

  it('tells the dashboard who is signed in', async () => {
    const me = await api('GET', '/api/auth/me', admin);
    expect(me.json()).toEqual({
      user: {
        id: expect.any(String),
        email: 'a@acme.test',
        role: 'client_admin',
        client_id: clientId,
      },
    });
  });

  it('lets an administrator add a read-only user, whose password is shown once', async () => {
    const made = await api('POST', '/api/users', admin, {
      email: 'Viewer@Acme.test',
      role: 'read_only',
    });
    expect(made.statusCode).toBe(201);
    const body = createUserResponseSchema.parse(made.json());
    expect(body.user).toMatchObject({
      email: 'viewer@acme.test',
      role: 'read_only',
      client_id: clientId,
    });

    const listed = await api('GET', '/api/users', admin);
    expect(listed.body).not.toContain(body.password);
    const emails = listUsersResponseSchema.parse(listed.json()).users.map((u) => u.email);
    expect(emails.sort()).toEqual(['a@acme.test', 'viewer@acme.test']);

    const viewer = (await login('viewer@acme.test', body.password)).json().token;
    const refused = await api('POST', '/api/users', viewer, {
      email: 'x@acme.test',
      role: 'read_only',
    });
    expect(refused.statusCode).toBe(403);
  });

  it('refuses a taken email, a super-admin role and an unnamed client', async () => {
    const taken = await api('POST', '/api/users', admin, {
      email: 'a@acme.test',
      role: 'read_only',
    });
    expect(taken.json().error).toMatchObject({ code: 'email_taken', field: 'email' });
    const escalate = await api('POST', '/api/users', admin, {
      email: 'boss@acme.test',
      role: 'super_admin',
    });
    expect(escalate.statusCode).toBe(400);
    expect(escalate.json().error.field).toBe('role');
    const unnamed = await api('POST', '/api/users', superAdmin, {
      email: 'b@acme.test',
      role: 'read_only',
    });
    expect(unnamed.json().error.field).toBe('client_id');
    const named = await api('POST', `/api/users?client_id=${clientId}`, superAdmin, {
      email: 'b@acme.test',
      role: 'read_only',
    });
    expect(named.statusCode).toBe(201);
    expect(named.json().user.client_id).toBe(clientId);
  });

  function storedHash(email: string) {
    return server.ctx.db
      .selectFrom('users')
      .select('password_hash')
      .where('email', '=', email)
      .executeTakeFirstOrThrow()
      .then((row) => row.password_hash);
  }

  // scrypt$N$r$p$salt$key: a 16-byte salt and a 32-byte key, both base64.
  const SCRYPT_HASH = /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/;

  it('stores passwords only as salted scrypt hashes', async () => {
    const made = await api('POST', '/api/users', admin, {
      email: 'hashed@acme.test',
      role: 'read_only',
    });
    const { password } = createUserResponseSchema.parse(made.json());
    const hash = await storedHash('hashed@acme.test');
    expect(hash).toMatch(SCRYPT_HASH);
    expect(hash).not.toContain(password);
    expect(hash).not.toContain(Buffer.from(password).toString('base64'));

    // The same password twice gives two hashes: each user has a salt of its own.
    const same = 'a-long-enough-password';
    const twin = { email: 'twin@acme.test', password: same, role: 'read_only' as const, clientId };
    await createUser(server.ctx.db, twin, new Date());
    const first = await storedHash('a@acme.test');
    const second = await storedHash('twin@acme.test');
    expect(second).toMatch(SCRYPT_HASH);
    expect(second).not.toBe(first);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect((await login('twin@acme.test', same)).statusCode).toBe(200);
    expect((await login('a@acme.test', same)).statusCode).toBe(200);
  });
});
