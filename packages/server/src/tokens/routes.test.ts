import {
  activeWindowsTokenResponseSchema,
  createdInstallTokenSchema,
  listInstallTokensResponseSchema,
} from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { createUser } from '../auth/store';
import { createClient } from '../clients/store';
import { hashToken } from './secret';
import { createInstallToken } from './service';

describe.each(STORES)('the install token API on %s', (store) => {
  let server: TestServer;
  let clientId: string;
  let admin: string;
  let reader: string;
  let superAdmin: string;
  // The server's clock: the real one, unless a test holds it at a moment of its choosing.
  let heldAt: Date | undefined;

  beforeAll(async () => {
    server = await startServerOn(store, {
      env: { OPTRALIS_LOGIN_RATE: '0' },
      clock: () => heldAt ?? new Date(),
    });
    const now = new Date();
    clientId = (await createClient(server.ctx.db, 'Acme', now)).id;
    const password = 'a-long-enough-password';
    const make = (email: string, role: 'client_admin' | 'read_only') =>
      createUser(server.ctx.db, { email, password, role, clientId }, now);
    await make('admin@acme.test', 'client_admin');
    await make('reader@acme.test', 'read_only');
    admin = await login('admin@acme.test', password);
    reader = await login('reader@acme.test', password);
    superAdmin = await login('admin@localhost', 'correct-horse-battery');
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs on the store it names', () => {
    expect(server.ctx.dialect).toBe(store);
  });

  async function login(email: string, password: string) {
    const answer = await server.publicApp.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password },
    });
    return answer.json().token as string;
  }

  function api(method: 'GET' | 'POST' | 'DELETE', url: string, session: string, payload?: object) {
    return server.publicApp.inject({
      method,
      url,
      headers: { authorization: `Bearer ${session}` },
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });
  }

  it('creates a 15-minute single-use token by default and shows it once', async () => {
    const before = Date.now();
    const answer = await api('POST', '/api/install-tokens', admin, {});
    expect(answer.statusCode).toBe(201);
    const body = answer.json();
    expect(Object.keys(body).sort()).toEqual(
      ['expires_at', 'id', 'kind', 'max_usage', 'platform', 'token', 'usage_count'].sort(),
    );
    expect(body).toMatchObject({ max_usage: 1, usage_count: 0, platform: 'any', kind: 'command' });
    expect(body.token).toMatch(/^opt_[A-Za-z0-9_-]{43}$/);
    expect(createdInstallTokenSchema.parse(body)).toEqual(body);
    const minutes = (Date.parse(body.expires_at) - before) / 60_000;
    expect(Math.round(minutes)).toBe(15);

    const listed = await api('GET', '/api/install-tokens', reader);
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(body.token);
    expect(listed.body).not.toContain(hashToken(body.token));
    listInstallTokensResponseSchema.parse(listed.json());
    const row = listed.json().tokens.find((t: { id: string }) => t.id === body.id);
    expect(Object.keys(row).sort()).toEqual(
      [
        'active',
        'client_id',
        'created_at',
        'created_by',
        'expires_at',
        'id',
        'kind',
        'last_used_at',
        'max_usage',
        'platform',
        'revoked_at',
        'usage_count',
      ].sort(),
    );
    expect(row).toMatchObject({ client_id: clientId, active: true, revoked_at: null });
    expect(row.created_by).toMatch(/^user:/);
  });

  it('takes ttl_minutes from 1 to 60, max_usage from 0, and a platform scope', async () => {
    const made = await api('POST', '/api/install-tokens', admin, {
      ttl_minutes: 60,
      max_usage: 0,
      platform: 'linux',
    });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ max_usage: 0, platform: 'linux' });

    const refused: [object, string][] = [
      [{ ttl_minutes: 0 }, 'ttl_minutes'],
      [{ ttl_minutes: 61 }, 'ttl_minutes'],
      [{ ttl_minutes: '15' }, 'ttl_minutes'],
      [{ max_usage: -1 }, 'max_usage'],
      [{ max_usage: 1.5 }, 'max_usage'],
      [{ platform: 'macos' }, 'platform'],
      [{ kind: 'windows_installer' }, ''],
    ];
    for (const [payload, field] of refused) {
      const answer = await api('POST', '/api/install-tokens', admin, payload);
      expect(answer.statusCode, JSON.stringify(payload)).toBe(400);
      expect(answer.json().error.code).toBe('validation_failed');
      if (field) expect(answer.json().error.field).toBe(field);
    }
  });

  it('lets read-only users look but not create or revoke', async () => {
    const create = await api('POST', '/api/install-tokens', reader, {});
    expect(create.statusCode).toBe(403);
    expect(create.json().error.code).toBe('forbidden');
    const made = await api('POST', '/api/install-tokens', admin, {});
    const revoke = await api('DELETE', `/api/install-tokens/${made.json().id}`, reader);
    expect(revoke.statusCode).toBe(403);
  });

  it('revokes a token: it stops enrolling and is listed as inactive', async () => {
    const made = (await api('POST', '/api/install-tokens', admin, { max_usage: 0 })).json();
    const first = await bootstrap(made.token, 'before-revoke');
    expect(first.statusCode).toBe(200);

    const revoked = await api('DELETE', `/api/install-tokens/${made.id}`, admin);
    expect(revoked.statusCode).toBe(204);
    expect((await api('DELETE', `/api/install-tokens/${made.id}`, admin)).statusCode).toBe(204);
    const refused = await bootstrap(made.token, 'after-revoke');
    expect(refused.json().error.code).toBe('token_revoked');

    const listed = (await api('GET', '/api/install-tokens', admin)).json().tokens;
    const row = listed.find((t: { id: string }) => t.id === made.id);
    expect(row).toMatchObject({ active: false, usage_count: 1 });
    expect(row.revoked_at).not.toBeNull();
    const active = (await api('GET', '/api/install-tokens?active=true', admin)).json().tokens;
    expect(active.map((t: { id: string }) => t.id)).not.toContain(made.id);

    const missing = await api('DELETE', '/api/install-tokens/01NOTATOKEN0000000000000000', admin);
    expect(missing.statusCode).toBe(404);
  });

  it('makes a super-admin name the client it acts for', async () => {
    const unnamed = await api('POST', '/api/install-tokens', superAdmin, {});
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json().error.field).toBe('client_id');
    const unknown = await api('POST', '/api/install-tokens?client_id=nope', superAdmin, {});
    expect(unknown.statusCode).toBe(404);
    const named = await api('POST', `/api/install-tokens?client_id=${clientId}`, superAdmin, {});
    expect(named.statusCode).toBe(201);
    const row = (await api('GET', '/api/install-tokens', admin)).json().tokens[0];
    expect(row).toMatchObject({ id: named.json().id, client_id: clientId });
  });

  it('shows the Windows mass-deployment progress and drops it at the quota', async () => {
    const url = '/api/install-tokens/windows/active';
    expect((await api('GET', url, reader)).json()).toEqual({ token: null });

    const made = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 'installer',
      kind: 'windows_installer',
      maxUsage: 1,
    });
    const shown = activeWindowsTokenResponseSchema.parse((await api('GET', url, reader)).json());
    expect(shown).toEqual({
      token: { id: made.row.id, usage_count: 0, max_usage: 1, expires_at: made.row.expires_at },
    });
    expect(await bootstrap(made.value, 'win-01', 'windows')).toMatchObject({ statusCode: 200 });
    expect((await api('GET', url, reader)).json()).toEqual({ token: null });
  });

  it('records when a token was last used, and nothing for a refused request', async () => {
    const made = (await api('POST', '/api/install-tokens', admin, { max_usage: 0 })).json();
    const lastUsed = async () => {
      const tokens = (await api('GET', '/api/install-tokens', admin)).json().tokens;
      return tokens.find((t: { id: string }) => t.id === made.id).last_used_at;
    };
    expect(await lastUsed()).toBeNull();

    const refused = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: made.token, hostname: 'refused-01', arch: 'sparc' },
    });
    expect(refused.json().error.code).toBe('invalid_arch');
    expect(await lastUsed()).toBeNull();

    heldAt = new Date();
    try {
      expect((await bootstrap(made.token, 'used-01')).statusCode).toBe(200);
      expect(await lastUsed()).toBe(heldAt.toISOString());
    } finally {
      heldAt = undefined;
    }
  });

  it('keeps showing an unlimited Windows token, uses and all, until it expires', async () => {
    const other = (await createClient(server.ctx.db, 'Unlimited', new Date())).id;
    const url = `/api/install-tokens/windows/active?client_id=${other}`;
    const start = new Date();
    heldAt = start;
    try {
      const made = await createInstallToken(server.ctx, {
        clientId: other,
        createdBy: 'installer',
        kind: 'windows_installer',
        maxUsage: 0,
      });
      const expiresAt = new Date(start.getTime() + 24 * 3_600_000).toISOString();
      expect(made.row.expires_at).toBe(expiresAt);
      for (const host of ['unl-01', 'unl-02', 'unl-03']) {
        expect((await bootstrap(made.value, host, 'windows')).statusCode).toBe(200);
      }
      expect((await api('GET', url, superAdmin)).json()).toEqual({
        token: { id: made.row.id, usage_count: 3, max_usage: 0, expires_at: expiresAt },
      });

      // Sessions last 12 hours: each moment of the token's day gets a session of its own.
      heldAt = new Date(start.getTime() + 24 * 3_600_000 - 60_000);
      let session = await login('admin@localhost', 'correct-horse-battery');
      expect((await api('GET', url, session)).json().token).toMatchObject({
        id: made.row.id,
        usage_count: 3,
      });

      heldAt = new Date(expiresAt);
      session = await login('admin@localhost', 'correct-horse-battery');
      expect((await api('GET', url, session)).json()).toEqual({ token: null });
    } finally {
      heldAt = undefined;
    }
  });

  function bootstrap(token: string, hostname: string, platform = 'linux') {
    return server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token, hostname, hardware_id: `hw-${hostname}`, platform },
    });
  }
});
