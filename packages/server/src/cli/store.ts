import fs from 'node:fs';
import path from 'node:path';
import { recordAudit } from '../audit/store';
import { loadConfig, type ServerConfig } from '../config';
import { type OpenDatabase, openDatabase, SQLITE_FILE } from '../db/database';
import { CliError } from './output';

/**
 * The store the server uses (its data directory's SQLite file, or DATABASE_URL). A command run
 * from another directory would otherwise make a new, empty store there and report on it: one
 * that only reads or changes what exists refuses, and one that creates (a client, a user) says
 * that it made a new store and where.
 */
export async function openCliStore(options: { creates?: boolean } = {}): Promise<OpenDatabase> {
  const config = loadConfig();
  if (!storeExists(config)) {
    if (!options.creates) {
      throw new CliError(
        `there is no Optralis store in ${path.resolve(config.dataDir)}: run the command in the ` +
          "directory the server runs in, or set OPTRALIS_DATA_DIR (or DATABASE_URL) to the server's",
        'store_missing',
      );
    }
    process.stderr.write(
      `optralis: made a new store in ${path.resolve(config.dataDir)}; the server must run ` +
        'with the same data directory to see it\n',
    );
  }
  return openDatabase(config);
}

/** PostgreSQL is always there to connect to; SQLite is there once its file is. */
function storeExists(config: ServerConfig): boolean {
  return Boolean(config.databaseUrl) || fs.existsSync(path.join(config.dataDir, SQLITE_FILE));
}

/** Runs `work` against the server's store (see openCliStore), then closes it. */
export async function withStore<T>(
  work: (store: OpenDatabase) => Promise<T>,
  options: { creates?: boolean } = {},
): Promise<T> {
  const store = await openCliStore(options);
  try {
    return await work(store);
  } finally {
    await store.db.destroy();
  }
}

/**
 * Records a CLI action that belongs to no client (the CA's life) in the store's audit log, when
 * there is a store: `ca init` on a new installation comes before the server has made one.
 */
export async function auditServerAction(
  action: string,
  details: Record<string, unknown>,
): Promise<void> {
  const config = loadConfig();
  if (!storeExists(config)) return;
  const store = await openDatabase(config);
  try {
    await recordAudit(store.db, { clientId: null, actor: 'cli', action, details }, new Date());
  } finally {
    await store.db.destroy();
  }
}
