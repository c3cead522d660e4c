import type { InventoryRequest } from '@optralis/protocol';
import type { Db } from '../db/database';

export interface MachineRef {
  machineId: string;
  clientId: string;
}

/**
 * Keeps the machine's newest inventory: a report collected before the stored one (a retry that
 * arrived late) changes nothing.
 */
export async function saveInventory(
  db: Db,
  machine: MachineRef,
  report: InventoryRequest,
  now: Date,
): Promise<void> {
  const row = {
    machine_id: machine.machineId,
    client_id: machine.clientId,
    collected_at: report.collected_at,
    received_at: now.toISOString(),
    os_name: report.os.name,
    os_version: report.os.version ?? null,
    cpu_model: report.cpu.model,
    memory_total_bytes: report.memory.total_bytes,
    report: JSON.stringify(report),
  };
  const { machine_id: _key, ...changes } = row;
  await db
    .insertInto('machine_inventory')
    .values(row)
    .onConflict((conflict) =>
      conflict
        .column('machine_id')
        .doUpdateSet(changes)
        .where('machine_inventory.collected_at', '<=', report.collected_at),
    )
    .execute();
}

/** The last inventory of a machine as it was sent, with when it arrived. */
export async function findInventory(db: Db, machineId: string) {
  const row = await db
    .selectFrom('machine_inventory')
    .select(['report', 'received_at'])
    .where('machine_id', '=', machineId)
    .executeTakeFirst();
  if (!row) return null;
  return { ...(JSON.parse(row.report) as InventoryRequest), received_at: row.received_at };
}
