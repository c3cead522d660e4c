import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failInserts } from '../../../../test/support/failing-writes';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { createClientWithAdmin } from '../clients/service';
import { createClient, listClients } from '../clients/store';
import { createInstallToken, revokeInstallToken } from '../tokens/service';
import { findToken, listTokens } from '../tokens/store';

/**
 * An audited change and its event commit together: when the event cannot be written, the change
 * is not made either (no token, client, revocation or enrollment without its trail).
 */
describe.each(STORES)('audit events commit with their change on %s', (store) => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startServerOn(store, { env: { OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0' } });
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function withFailing<T>(action: string, run: () => Promise<T>): Promise<void> {
    const restore = await failInserts(server, 'audit_events', action);
    try {
      await expect(run()).rejects.toThrow();
    } finally {
      await restore();
    }
  }

  it('runs on the store it names', () => {
    expect(server.ctx.dialect).toBe(store);
  });

  it('no token is created when token.created cannot be recorded', async () => {
    const request = { clientId, createdBy: 'test', kind: 'command' as const };
    await withFailing('token.created', () => createInstallToken(server.ctx, request));
    expect(await listTokens(server.ctx.db, clientId)).toEqual([]);
  });

  it('a token stays usable when token.revoked cannot be recorded', async () => {
    const request = { clientId, createdBy: 'test', kind: 'command' as const };
    const made = await createInstallToken(server.ctx, request);
    await withFailing('token.revoked', () =>
      revokeInstallToken(server.ctx, made.row.id, clientId, 'test'),
    );
    expect((await findToken(server.ctx.db, made.row.id, clientId))?.revoked_at).toBeNull();
  });

  it('no client is created when client.created cannot be recorded', async () => {
    const input = { name: 'Ghost', adminEmail: 'ghost@example.test', actor: 'test' };
    await withFailing('client.created', () => createClientWithAdmin(server.ctx, input));
    const names = (await listClients(server.ctx.db)).map((client) => client.name);
    expect(names).not.toContain('Ghost');
    const again = await createClientWithAdmin(server.ctx, input);
    expect(again.client.name).toBe('Ghost');
  });

  it('an enrollment spends nothing when token.used cannot be recorded', async () => {
    const request = { clientId, createdBy: 'test', kind: 'command' as const };
    const made = await createInstallToken(server.ctx, request);
    const payload = { token: made.value, hostname: 'unaudited', hardware_id: 'unaudited' };
    const restore = await failInserts(server, 'audit_events', 'token.used');
    try {
      const answer = await server.publicApp.inject({
        method: 'POST',
        url: '/api/public/bootstrap',
        payload,
      });
      expect(answer.statusCode).toBe(500);
    } finally {
      await restore();
    }
    expect((await findToken(server.ctx.db, made.row.id, clientId))?.usage_count).toBe(0);
    const machines = await server.ctx.db
      .selectFrom('machines')
      .select('id')
      .where('hostname', '=', 'unaudited')
      .execute();
    expect(machines).toEqual([]);
  });
});
