import type { AgentVersion } from '@optralis/protocol';
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { AgentVersionsTable, Database } from '../db/schema';

export type AgentVersionRow = AgentVersionsTable;
type Executor = Db | Transaction<Database>;

export interface ReleaseTarget {
  channel: AgentVersionRow['channel'];
  platform: AgentVersionRow['platform'];
  architecture: AgentVersionRow['architecture'];
}

export function toAgentVersion(row: AgentVersionRow): AgentVersion {
  return {
    id: row.id,
    version: row.version,
    channel: row.channel,
    platform: row.platform,
    architecture: row.architecture,
    checksum_sha256: row.checksum_sha256,
    file_size_bytes: Number(row.file_size_bytes),
    download_url: row.download_url,
    release_date: row.release_date,
    is_active: row.is_active === 1,
    rollout_percent: row.rollout_percent,
    rollout_paused: row.rollout_paused === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function insertAgentVersion(db: Executor, row: AgentVersionRow): Promise<void> {
  await db.insertInto('agent_versions').values(row).execute();
}

export async function findAgentVersion(db: Executor, id: string) {
  return db.selectFrom('agent_versions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAgentVersions(db: Db, platform?: string) {
  let query = db.selectFrom('agent_versions').selectAll().orderBy('created_at', 'desc');
  if (platform) query = query.where('platform', '=', platform as AgentVersionRow['platform']);
  return query.execute();
}

export async function updateAgentVersion(
  db: Executor,
  id: string,
  values: Partial<Omit<AgentVersionRow, 'id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('agent_versions').set(values).where('id', '=', id).execute();
}

export async function deleteAgentVersion(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('agent_versions').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every active release: the offer cache holds them all (they are a few dozen rows). */
export async function listActiveReleases(db: Db) {
  return db.selectFrom('agent_versions').selectAll().where('is_active', '=', 1).execute();
}

/** Machines (not revoked) per reported version, platform and architecture, in `scope`. */
export async function countMachinesByVersion(db: Db, scope: string | null) {
  let query = db
    .selectFrom('machines')
    .select(['agent_version', 'platform', 'arch'])
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('revoked_at', 'is', null)
    .where('agent_version', 'is not', null)
    .groupBy(['agent_version', 'platform', 'arch']);
  if (scope !== null) query = query.where('client_id', '=', scope);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, count: Number(row.count) }));
}

/**
 * Raises the catalogue's sequence in the transaction of a change. It is also a time in
 * milliseconds, so that it keeps growing even after the database is restored from a backup.
 */
export async function raiseCatalogueSequence(db: Executor, now: Date): Promise<number> {
  const at = now.getTime();
  await db
    .updateTable('release_catalogue')
    .set({
      sequence: sql`CASE WHEN sequence + 1 > ${at} THEN sequence + 1 ELSE ${at} END`,
    })
    .where('id', '=', 1)
    .execute();
  return readCatalogueSequence(db);
}

export async function readCatalogueSequence(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('release_catalogue')
    .select('sequence')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.sequence);
}

export async function listPins(db: Db) {
  return db.selectFrom('agent_version_pins').selectAll().execute();
}

export async function findPin(db: Db, clientId: string) {
  return db
    .selectFrom('agent_version_pins')
    .selectAll()
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

export async function putPin(
  db: Executor,
  clientId: string,
  version: string | null,
  actor: string,
  now: Date,
): Promise<void> {
  if (version === null) {
    await db.deleteFrom('agent_version_pins').where('client_id', '=', clientId).execute();
    return;
  }
  await db
    .insertInto('agent_version_pins')
    .values({ client_id: clientId, version, created_at: now.toISOString(), created_by: actor })
    .onConflict((oc) =>
      oc
        .column('client_id')
        .doUpdateSet({ version, created_at: now.toISOString(), created_by: actor }),
    )
    .execute();
}
