import { sql, type Transaction } from 'kysely';
import { recordAudit } from '../audit/store';
import type { AppContext } from '../context';
import type { Db } from '../db/database';
import type { Database } from '../db/schema';
import { findActiveByHardwareId, type MachineRow } from '../machines/store';
import type { TokenRow } from '../tokens/store';
import { type BootstrapMeta, refuse } from './refusal';

/**
 * Same hardware id as an active machine of the client. Same host name (DNS names are not case
 * sensitive): a reinstall, which reuses the machine. Another host name: a clone of a disk image
 * or a stolen identity; refused with `clone_suspected` rather than silently taken over.
 */
export async function sameHardware(
  ctx: AppContext,
  token: TokenRow,
  hardwareId: string,
  hostname: string,
  meta: BootstrapMeta,
  now: Date,
): Promise<MachineRow | undefined> {
  const machines = await findActiveByHardwareId(ctx.db, token.client_id, hardwareId);
  if (machines.length === 0) return undefined;
  const wanted = hostname.toLowerCase();
  const same = machines.find((machine) => machine.hostname.toLowerCase() === wanted);
  if (same) return same;

  await recordCloneSuspected(ctx.db, token, machines[0], hostname, meta, now);
  return refuse(ctx, token, 'clone_suspected', meta, now);
}

/** `machine.clone_suspected`: a request claimed the hardware id of an active machine. */
export async function recordCloneSuspected(
  db: Db,
  token: TokenRow,
  machine: MachineRow | undefined,
  hostname: string,
  meta: BootstrapMeta,
  now: Date,
): Promise<void> {
  await recordAudit(
    db,
    {
      clientId: token.client_id,
      actor: `token:${token.id}`,
      action: 'machine.clone_suspected',
      subject: machine?.id ?? null,
      details: { hostname, existing_hostname: machine?.hostname, source_ip: meta.sourceIp },
    },
    now,
  );
}

/**
 * Closes the gap between the hardware-id check above and this transaction: two first installs
 * of one hardware id at once must not both create a machine. Requests for the same client and
 * hardware id queue on a transaction-scoped lock (PostgreSQL; SQLite writes one transaction at a
 * time anyway), then look again.
 */
export async function anotherMachineAppeared(
  ctx: AppContext,
  trx: Transaction<Database>,
  token: TokenRow,
  hardwareId: string,
  existing: MachineRow | undefined,
): Promise<MachineRow | undefined> {
  if (ctx.dialect === 'postgres') {
    const key = `${token.client_id}:${hardwareId}`;
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
  }
  const machines = await findActiveByHardwareId(trx, token.client_id, hardwareId);
  return machines.find((machine) => machine.id !== existing?.id);
}
