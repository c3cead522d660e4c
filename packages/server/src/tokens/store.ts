import type { Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database, InstallTokensTable } from '../db/schema';

export type TokenRow = InstallTokensTable;

export async function insertToken(db: Db, row: TokenRow): Promise<void> {
  await db.insertInto('install_tokens').values(row).execute();
}

export async function findTokenByHash(db: Db, hash: string): Promise<TokenRow | undefined> {
  return db
    .selectFrom('install_tokens')
    .selectAll()
    .where('token_hash', '=', hash)
    .executeTakeFirst();
}

export async function findToken(db: Db, id: string, clientId: string | null) {
  let query = db.selectFrom('install_tokens').selectAll().where('id', '=', id);
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  return query.executeTakeFirst();
}

export async function listTokens(
  db: Db,
  clientId: string | null,
  options: { now?: Date; limit?: number } = {},
) {
  let query = db
    .selectFrom('install_tokens')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 500);
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  if (options.now) {
    const at = options.now.toISOString();
    query = query
      .where('expires_at', '>', at)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('max_usage', '=', 0), eb('usage_count', '<', eb.ref('max_usage'))]));
  }
  return query.execute();
}

export async function revokeToken(db: Db, id: string, clientId: string | null, now: Date) {
  let query = db
    .updateTable('install_tokens')
    .set({ revoked_at: now.toISOString() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null);
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Spends one use of a token, only if it is still usable at `now`. One guarded statement, so two
 * requests (or two server replicas) can never both take the last use.
 */
export async function spendTokenUse(
  trx: Transaction<Database>,
  id: string,
  now: Date,
): Promise<boolean> {
  const at = now.toISOString();
  const rows = await trx
    .updateTable('install_tokens')
    .set((eb) => ({ usage_count: eb('usage_count', '+', 1), last_used_at: at }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .where((eb) => eb.or([eb('max_usage', '=', 0), eb('usage_count', '<', eb.ref('max_usage'))]))
    .returning('id')
    .execute();
  return rows.length === 1;
}

/**
 * The newest mass-deployment Windows token of a client that can still enroll: not revoked, not
 * expired, and with uses left (an unlimited one stays until it expires).
 */
export async function findActiveWindowsToken(db: Db, clientId: string, now: Date) {
  return db
    .selectFrom('install_tokens')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('kind', '=', 'windows_installer')
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .where((eb) => eb.or([eb('max_usage', '=', 0), eb('usage_count', '<', eb.ref('max_usage'))]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}
