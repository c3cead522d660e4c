import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { countUsers } from '../auth/store';

describe('the PostgreSQL store', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServerOn('postgres');
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('survives the database server dropping its connections', async () => {
    expect(await countUsers(server.ctx.db)).toBe(1);

    const url = new URL(server.config.databaseUrl ?? '');
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }

    // The pool notices the lost connections, replaces them, and the store answers again.
    let answered: number | undefined;
    for (let attempt = 0; attempt < 20 && answered === undefined; attempt += 1) {
      answered = await countUsers(server.ctx.db).catch(() => undefined);
    }
    expect(answered).toBe(1);
  });
});
