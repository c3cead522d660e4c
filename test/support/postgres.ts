import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Clock } from '../../packages/server/src/ids';
import { startTestServer, type TestServer } from './server';

/** The PostgreSQL of the test machine and of CI: loopback, trust authentication. */
const ADMIN_URL = process.env.OPTRALIS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

export interface ThrowawayDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database with a unique name for one test file and drops it afterwards, so
 * that test runs on one server never see each other's rows.
 */
export async function createThrowawayDatabase(label = 'optralis'): Promise<ThrowawayDatabase> {
  const name = `${label}_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const base = new URL(ADMIN_URL);
  base.pathname = `/${name}`;
  return {
    url: base.toString(),
    name,
    async drop() {
      // A closed pg pool ends its connections without waiting for them to go: dropping at once
      // WITH (FORCE) would kill them mid-goodbye and make their clients throw. Wait for them.
      for (let attempt = 0; attempt < 50; attempt += 1) {
        try {
          await admin(`DROP DATABASE IF EXISTS ${name}`);
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006') throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement on the `postgres` database as the administrator of the test machine. */
export async function admin(
  statement: string,
  values: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const url = new URL(ADMIN_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(statement, values)).rows;
  } finally {
    await client.end();
  }
}

/** The stores the store suite runs on: SQLite always, PostgreSQL for real. */
export const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

/**
 * A test server on the given store: SQLite in its data directory, or a throwaway PostgreSQL
 * database that `stop()` drops.
 */
export async function startServerOn(
  kind: StoreKind,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestServer> {
  const database = kind === 'postgres' ? await createThrowawayDatabase() : undefined;
  const server = await startTestServer({
    ...options,
    env: { ...options.env, ...(database ? { DATABASE_URL: database.url } : {}) },
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await database?.drop();
    },
  };
}
