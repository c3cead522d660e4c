import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { countUsers } from '../auth/store';
import { openDatabase } from './database';

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

  it('fails a transaction whose connection the server drops, without crashing the process', async () => {
    const throwaway = await createThrowawayDatabase('pooldrop');
    const lost: Error[] = [];
    const opened = await openDatabase({ databaseUrl: throwaway.url, dataDir: '' }, (error) => {
      lost.push(error);
    });
    try {
      const transaction = opened.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        await terminate(throwaway.url, rows[0]?.pid ?? 0);
        // The connection is checked out and idle: the server's goodbye reaches it now, between
        // two statements, where only the listener the store adds can take it.
        while (lost.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        await sql`SELECT 1`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      expect(lost[0]?.message).toMatch(/terminat/i);

      let answered: number | undefined;
      for (let attempt = 0; attempt < 20 && answered === undefined; attempt += 1) {
        answered = await countUsers(opened.db).catch(() => undefined);
      }
      expect(answered).toBe(0);
    } finally {
      await opened.db.destroy();
      await throwaway.drop();
    }
  });
});

async function terminate(url: string, pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT pg_terminate_backend($1) AS done', [pid]);
    expect(rows[0]?.done).toBe(true);
  } finally {
    await admin.end();
  }
}
