import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations';
import type { Database } from './schema';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

/** Told about a connection the PostgreSQL pool lost while idle (server restart, network). */
export type PoolErrorHandler = (error: Error) => void;

export interface OpenDatabase {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** Human-readable location without credentials, for logs. */
  location: string;
}

/** The SQLite database's file name in the data directory. */
export const SQLITE_FILE = 'optralis.sqlite';

/** Opens the store and brings its schema up to date. */
export async function openDatabase(
  options: DatabaseOptions,
  onPoolError: PoolErrorHandler = () => {},
): Promise<OpenDatabase> {
  const opened = options.databaseUrl
    ? openPostgres(options.databaseUrl, onPoolError)
    : openSqlite(path.join(options.dataDir, SQLITE_FILE));
  await migrateToLatest(opened.db as Kysely<unknown>);
  return opened;
}

function openSqlite(file: string): OpenDatabase {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Keep the WAL file from growing without bound between checkpoints.
  sqlite.pragma('journal_size_limit = 67108864');
  cachePreparedStatements(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', location: file };
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; compiling the SQL was the largest single cost of a
 * heartbeat. The queries are the same few texts, so prepared statements are kept by text.
 * Kysely runs each with `all` or `run`, which finish before returning, so reuse is safe.
 */
function cachePreparedStatements(sqlite: SqliteDatabase.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SqliteDatabase.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

function openPostgres(url: string, onPoolError: PoolErrorHandler): OpenDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // Without a listener, an idle connection dropped by the server would crash the process; the
  // pool replaces it on next use.
  pool.on('error', onPoolError);
  // The pool listens only to idle connections: one checked out when the server drops it (between
  // two statements of a transaction, say) emits 'error' with nobody listening, which would also
  // crash the process. The statement in flight still fails through its own promise.
  pool.on('connect', (client) => {
    client.on('error', onPoolError);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  return { db, dialect: 'postgres', location: `${parsed.host}${parsed.pathname}` };
}

/** True for a unique-constraint violation on either store (SQLite or PostgreSQL `23505`). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
