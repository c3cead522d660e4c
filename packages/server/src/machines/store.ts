import type { Insertable, Transaction } from 'kysely';
import type { Db } from '../db/database';
import { preparedQuery } from '../db/prepared';
import type { CertificatesTable, Database, MachinesTable } from '../db/schema';

export type MachineRow = MachinesTable;
export type CertificateRow = CertificatesTable;

type Executor = Db | Transaction<Database>;

export async function insertMachine(db: Executor, row: Insertable<MachinesTable>): Promise<void> {
  await db.insertInto('machines').values(row).execute();
}

export async function insertCertificate(
  db: Executor,
  row: Insertable<CertificatesTable>,
): Promise<void> {
  await db.insertInto('certificates').values(row).execute();
}

export async function findMachine(db: Executor, id: string, clientId: string | null) {
  let query = db.selectFrom('machines').selectAll().where('id', '=', id);
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  return query.executeTakeFirst();
}

/** Machines with the OS of their last inventory (null before the first). */
export async function listMachines(db: Db, clientId: string | null) {
  let query = db
    .selectFrom('machines')
    .leftJoin('machine_inventory', 'machine_inventory.machine_id', 'machines.id')
    .selectAll('machines')
    .select(['machine_inventory.os_name', 'machine_inventory.os_version'])
    .orderBy('machines.enrolled_at');
  if (clientId !== null) query = query.where('machines.client_id', '=', clientId);
  return query.execute();
}

/** The certificate a retried bootstrap already received: same token, machine key and hardware. */
export async function findRetriedEnrollment(
  db: Db,
  tokenId: string,
  publicKeySha256: string,
  hardwareId: string | null,
) {
  return db
    .selectFrom('certificates')
    .innerJoin('machines', 'machines.id', 'certificates.machine_id')
    .select(['certificates.serial', 'certificates.pem', 'machines.id as machine_id'])
    .where('certificates.token_id', '=', tokenId)
    .where('certificates.public_key_sha256', '=', publicKeySha256)
    .where('certificates.revoked_at', 'is', null)
    .where('machines.revoked_at', 'is', null)
    .where('machines.hardware_id', hardwareId === null ? 'is' : '=', hardwareId)
    .executeTakeFirst();
}

const certificateState = preparedQuery((db, serial: string) =>
  db
    .selectFrom('certificates')
    .innerJoin('machines', 'machines.id', 'certificates.machine_id')
    .select([
      'certificates.serial',
      'certificates.machine_id',
      'certificates.client_id',
      'certificates.revoked_at as certificate_revoked_at',
      'certificates.renews_serial',
      'certificates.issued_at',
      'machines.revoked_at as machine_revoked_at',
      'machines.channel',
      'machines.agent_version',
    ])
    .where('certificates.serial', '=', serial),
);

/**
 * What the agent API needs to accept a request: the certificate and its machine. Read on every
 * heartbeat (so that a revocation applies at once), hence prepared.
 */
export async function findCertificateState(db: Db, serial: string) {
  const [state] = await certificateState(db, serial);
  return state;
}

/**
 * The first request made with a renewed certificate proves the agent holds it: the machine's
 * older certificates are revoked then, not at renewal, so that an agent that lost the answer
 * keeps working with the certificate it has.
 */
export async function settleRenewal(
  db: Db,
  certificate: { serial: string; machine_id: string; issued_at: string },
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('certificates')
      .set({ revoked_at: now.toISOString() })
      .where('machine_id', '=', certificate.machine_id)
      .where('serial', '<>', certificate.serial)
      .where('issued_at', '<=', certificate.issued_at)
      .where('revoked_at', 'is', null)
      .execute();
    await trx
      .updateTable('certificates')
      .set({ renews_serial: null })
      .where('serial', '=', certificate.serial)
      .execute();
  });
}

/** Certificates issued to a machine since `since`, to bound renewals. */
export async function countCertificatesSince(
  db: Db,
  machineId: string,
  since: Date,
): Promise<number> {
  const row = await db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('machine_id', '=', machineId)
    .where('issued_at', '>=', since.toISOString())
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function revokeMachine(db: Db, id: string, clientId: string | null, now: Date) {
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    let query = trx
      .updateTable('machines')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null);
    if (clientId !== null) query = query.where('client_id', '=', clientId);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await trx
      .updateTable('certificates')
      .set({ revoked_at: at })
      .where('machine_id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return true;
  });
}

const numberOrNull = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

export function toPublicMachine(
  row: MachineRow & { os_name?: string | null; os_version?: string | null },
  now: Date,
  onlineWindowMs: number,
) {
  const lastSeen = row.last_seen_at ? Date.parse(row.last_seen_at) : undefined;
  return {
    id: row.id,
    client_id: row.client_id,
    hostname: row.hostname,
    hardware_id: row.hardware_id,
    platform: row.platform,
    arch: row.arch,
    agent_version: row.agent_version,
    channel: row.channel,
    enrolled_at: row.enrolled_at,
    last_seen: row.last_seen_at,
    online: lastSeen !== undefined && now.getTime() - lastSeen < onlineWindowMs,
    revoked_at: row.revoked_at,
    os: row.os_name ? { name: row.os_name, version: row.os_version ?? null } : null,
    status: {
      uptime_seconds: numberOrNull(row.uptime_seconds),
      cpu_percent: row.cpu_percent,
      memory_total_bytes: numberOrNull(row.memory_total_bytes),
      memory_used_bytes: numberOrNull(row.memory_used_bytes),
      disk_total_bytes: numberOrNull(row.disk_total_bytes),
      disk_used_bytes: numberOrNull(row.disk_used_bytes),
      temperature_c: row.temperature_c,
    },
  };
}

/** Active machines of a client that reported this hardware id (reinstall or clone?). */
export async function findActiveByHardwareId(db: Db, clientId: string, hardwareId: string) {
  return db
    .selectFrom('machines')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('hardware_id', '=', hardwareId)
    .where('revoked_at', 'is', null)
    .orderBy('enrolled_at', 'desc')
    .execute();
}

/** A reinstall keeps the machine's id and history: its old certificates stop working now. */
export async function reenrollMachine(
  trx: Transaction<Database>,
  machineId: string,
  values: Pick<MachineRow, 'hostname' | 'platform' | 'arch' | 'token_id'> &
    Partial<Pick<MachineRow, 'channel'>>,
  now: Date,
): Promise<void> {
  await trx.updateTable('machines').set(values).where('id', '=', machineId).execute();
  await trx
    .updateTable('certificates')
    .set({ revoked_at: now.toISOString() })
    .where('machine_id', '=', machineId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Machines not revoked whose last heartbeat is at or after `since`. */
export async function countMachinesSeenSince(db: Db, since: Date): Promise<number> {
  const row = await db
    .selectFrom('machines')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('revoked_at', 'is', null)
    .where('last_seen_at', '>=', since.toISOString())
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
