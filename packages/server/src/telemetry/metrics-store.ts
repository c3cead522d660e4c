import { type MetricSample, TEMPERATURE_UNAVAILABLE } from '@optralis/protocol';
import type { Db } from '../db/database';
import type { MachineRef } from './inventory-store';

/** Rows per insert: 8 parameters each stays well under both stores' limits. */
const CHUNK = 500;

/**
 * Stores samples once each (a batch posted again after a lost answer adds nothing) and returns
 * how many were new.
 */
export async function insertSamples(
  db: Db,
  machine: MachineRef,
  samples: MetricSample[],
): Promise<number> {
  const rows = samples.map((sample) => ({
    machine_id: machine.machineId,
    client_id: machine.clientId,
    at: sample.at,
    cpu_percent: sample.cpu_percent,
    memory_used_bytes: sample.memory?.used_bytes ?? null,
    memory_total_bytes: sample.memory?.total_bytes ?? null,
    temperature_c:
      sample.temperature_c === undefined || sample.temperature_c === TEMPERATURE_UNAVAILABLE
        ? null
        : sample.temperature_c,
    sample: JSON.stringify(sample),
  }));
  let stored = 0;
  for (let start = 0; start < rows.length; start += CHUNK) {
    const result = await db
      .insertInto('machine_metrics')
      .values(rows.slice(start, start + CHUNK))
      .onConflict((conflict) => conflict.columns(['machine_id', 'at']).doNothing())
      .executeTakeFirst();
    stored += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return stored;
}

/** A machine's newest `limit` samples (at or after `since`), oldest first. */
export async function listSamples(
  db: Db,
  machineId: string,
  options: { since?: string | undefined; limit: number },
): Promise<MetricSample[]> {
  let query = db
    .selectFrom('machine_metrics')
    .select('sample')
    .where('machine_id', '=', machineId)
    .orderBy('at', 'desc')
    .limit(options.limit);
  if (options.since) query = query.where('at', '>=', options.since);
  const rows = await query.execute();
  return rows.reverse().map((row) => JSON.parse(row.sample) as MetricSample);
}

/** Deletes samples taken before `before`; returns how many went. */
export async function pruneSamples(db: Db, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('machine_metrics')
    .where('at', '<', before.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
