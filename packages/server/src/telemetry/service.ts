import type { CollectorsRequest, InventoryRequest } from '@optralis/protocol';
import type { AppContext } from '../context';
import { type MachineRef, saveInventory } from './inventory-store';
import { insertSamples, pruneSamples } from './metrics-store';

/** Samples stamped further ahead than this come from a wrong clock and are not kept. */
const FUTURE_SLACK_MS = 60 * 60_000;
/** Old samples are deleted at most this often, by whichever replica gets there first. */
const PRUNE_EVERY_MS = 60 * 60_000;

const lastPrune = new WeakMap<object, number>();

export async function receiveInventory(
  ctx: AppContext,
  machine: MachineRef,
  report: InventoryRequest,
): Promise<void> {
  await saveInventory(ctx.db, machine, report, ctx.clock());
}

/**
 * Stores the samples whose time is believable: not older than the retention (they would be
 * deleted at once) and not in the future beyond an hour (a machine with a wrong clock). The
 * others are dropped, not refused, so that one bad clock reading does not hold back the rest.
 */
export async function receiveSamples(
  ctx: AppContext,
  machine: MachineRef,
  request: CollectorsRequest,
): Promise<number> {
  const now = ctx.clock().getTime();
  const oldest = now - ctx.config.metricsRetentionDays * 86_400_000;
  const kept = request.samples.filter((sample) => {
    const at = Date.parse(sample.at);
    return at >= oldest && at <= now + FUTURE_SLACK_MS;
  });
  const stored = kept.length === 0 ? 0 : await insertSamples(ctx.db, machine, kept);

  if (now - (lastPrune.get(ctx) ?? 0) >= PRUNE_EVERY_MS) {
    lastPrune.set(ctx, now);
    const removed = await pruneSamples(ctx.db, new Date(oldest));
    if (removed > 0) ctx.log.info({ removed }, 'deleted metric samples past their retention');
  }
  return stored;
}
