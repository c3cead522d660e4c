import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { listAudit } from '../audit/store';
import { createClient } from '../clients/store';
import { AppError } from '../errors';
import { createInstallToken, type InstallTokenRequest } from './service';

describe.each(STORES)('createInstallToken, the one way tokens are minted, on %s', (store) => {
  let server: TestServer;
  let clientId: string;
  const now = new Date('2026-03-01T10:00:00.000Z');

  beforeAll(async () => {
    server = await startServerOn(store);
    clientId = (await createClient(server.ctx.db, 'Acme', now)).id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs on the store it names', () => {
    expect(server.ctx.dialect).toBe(store);
  });

  const mint = (request: Partial<InstallTokenRequest>) =>
    createInstallToken(
      { db: server.ctx.db, clock: () => now },
      { clientId, createdBy: 'installer', kind: 'command', ...request },
    );

  it('gives each kind its lifetime and platform by default', async () => {
    const command = await mint({});
    expect(command.row).toMatchObject({
      expires_at: '2026-03-01T10:15:00.000Z',
      max_usage: 1,
      platform: 'any',
    });
    const windows = await mint({ kind: 'windows_installer', maxUsage: 50 });
    expect(windows.row).toMatchObject({
      expires_at: '2026-03-02T10:00:00.000Z',
      max_usage: 50,
      platform: 'windows',
    });
    const linux = await mint({ kind: 'linux_installer' });
    expect(linux.row).toMatchObject({ expires_at: '2026-03-02T10:00:00.000Z', platform: 'linux' });

    const events = await listAudit(server.ctx.db, clientId);
    const created = events.filter((event) => event.action === 'token.created');
    expect(created.map((event) => event.subject).sort()).toEqual(
      [command.row.id, windows.row.id, linux.row.id].sort(),
    );
    expect(JSON.stringify(events)).not.toContain(windows.value);
  });

  it.each([
    [{ ttlMinutes: 0 }, 'ttl_minutes'],
    [{ ttlMinutes: 61 }, 'ttl_minutes'],
    [{ kind: 'windows_installer' as const, ttlMinutes: 24 * 60 + 1 }, 'ttl_minutes'],
    [{ maxUsage: -1 }, 'max_usage'],
    [{ maxUsage: 0.5 }, 'max_usage'],
    [{ maxUsage: 100_001 }, 'max_usage'],
  ])('refuses %o', async (request, field) => {
    const refused = await mint(request).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'validation_failed', field });
  });
});
