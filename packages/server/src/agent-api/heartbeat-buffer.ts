import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database';

/** What a heartbeat leaves on the machine's row. */
export interface HeartbeatState {
  last_seen_at: string;
  agent_version: string;
  platform: string;
  arch: string;
  uptime_seconds: number | null;
  cpu_percent: number | null;
  memory_total_bytes: number | null;
  memory_used_bytes: number | null;
  disk_total_bytes: number | null;
  disk_used_bytes: number | null;
  temperature_c: number | null;
}

type Entry = [machineId: string, state: HeartbeatState];

/** Rows per PostgreSQL statement: well under its 65,535 parameters. */
const CHUNK = 500;
/** Machines whose reported identity this process remembers; past it, it starts over. */
const KNOWN_LIMIT = 200_000;

/**
 * Write-behind for heartbeats: the latest state of each machine is kept in memory and written in
 * one batch every `flushMs`, so ten thousand agents cost the store one transaction a second
 * instead of a thousand. A machine's first heartbeat seen by this process, and one that reports
 * another version, platform or architecture, is written at once: the machines list, update
 * accounting and other replicas see what changed without delay; only the repeated `last_seen`
 * and readings wait. Writes never move `last_seen_at` back, so replicas that flush in any order
 * keep the newest one. `close` writes what is pending (graceful shutdown).
 */
export class HeartbeatBuffer {
  private pending = new Map<string, HeartbeatState>();
  private readonly known = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly options: { flushMs: number; log: Logger },
  ) {}

  async record(machineId: string, state: HeartbeatState): Promise<void> {
    const identity = `${state.agent_version}\0${state.platform}\0${state.arch}`;
    if (this.closed || this.known.get(machineId) !== identity) {
      this.pending.delete(machineId);
      await writeStates(this.db, this.dialect, [[machineId, state]]);
      if (this.known.size >= KNOWN_LIMIT) this.known.clear();
      this.known.set(machineId, identity);
      return;
    }
    this.pending.set(machineId, state);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined);
    }, this.options.flushMs);
    this.timer.unref();
  }

  /** Machines waiting to be written, for tests and metrics. */
  get size(): number {
    return this.pending.size;
  }

  /** Writes everything pending now; concurrent calls share one write. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(batch: Map<string, HeartbeatState>): Promise<void> {
    try {
      await writeStates(this.db, this.dialect, [...batch]);
      if (this.failing) this.options.log.info({ machines: batch.size }, 'heartbeat writes resumed');
      this.failing = false;
    } catch (error) {
      // Keep the states for the next flush unless a newer heartbeat replaced them meanwhile.
      for (const [id, state] of batch) if (!this.pending.has(id)) this.pending.set(id, state);
      if (!this.failing) {
        this.options.log.error({ err: error, machines: batch.size }, 'cannot write heartbeats');
      }
      this.failing = true;
      if (this.closed) throw error;
      this.schedule();
    }
  }
}

/** Writes machine states, each only if it is newer than what the row holds. */
export async function writeStates(
  db: Db,
  dialect: 'sqlite' | 'postgres',
  entries: Entry[],
): Promise<void> {
  if (entries.length === 0) return;
  if (dialect === 'sqlite') {
    // In-process: one transaction of prepared single-row updates is the fastest form.
    await db.transaction().execute(async (trx) => {
      for (const [id, state] of entries) {
        await trx
          .updateTable('machines')
          .set(state)
          .where('id', '=', id)
          .where((eb) =>
            eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', state.last_seen_at)]),
          )
          .execute();
      }
    });
    return;
  }
  for (let start = 0; start < entries.length; start += CHUNK) {
    await updateFromValues(db, entries.slice(start, start + CHUNK));
  }
}

/** PostgreSQL: one `UPDATE … FROM (VALUES …)` per chunk, one round trip for many machines. */
async function updateFromValues(db: Db, entries: Entry[]): Promise<void> {
  const rows = entries.map(
    ([id, s]) =>
      sql`(${id}, ${s.last_seen_at}, ${s.agent_version}, ${s.platform}, ${s.arch},
        ${s.uptime_seconds}, ${s.cpu_percent}, ${s.memory_total_bytes}, ${s.memory_used_bytes},
        ${s.disk_total_bytes}, ${s.disk_used_bytes}, ${s.temperature_c})`,
  );
  await sql`
    UPDATE machines AS m SET
      last_seen_at = v.seen, agent_version = v.version, platform = v.platform, arch = v.arch,
      uptime_seconds = CAST(v.uptime AS bigint), cpu_percent = CAST(v.cpu AS real),
      memory_total_bytes = CAST(v.mem_total AS bigint),
      memory_used_bytes = CAST(v.mem_used AS bigint),
      disk_total_bytes = CAST(v.disk_total AS bigint),
      disk_used_bytes = CAST(v.disk_used AS bigint),
      temperature_c = CAST(v.temp AS real)
    FROM (VALUES ${sql.join(rows)}) AS v(id, seen, version, platform, arch, uptime, cpu,
      mem_total, mem_used, disk_total, disk_used, temp)
    WHERE m.id = v.id AND (m.last_seen_at IS NULL OR m.last_seen_at < v.seen)
  `.execute(db);
}

const buffers = new WeakMap<object, HeartbeatBuffer>();

/** The heartbeat buffer of a running server, made on first use. */
export function heartbeatBuffer(ctx: {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  log: Logger;
  config: { heartbeatFlushMs: number };
}): HeartbeatBuffer {
  let buffer = buffers.get(ctx);
  if (!buffer) {
    buffer = new HeartbeatBuffer(ctx.db, ctx.dialect, {
      flushMs: ctx.config.heartbeatFlushMs,
      log: ctx.log,
    });
    buffers.set(ctx, buffer);
  }
  return buffer;
}

/** Writes pending heartbeats; called when the server stops, before the store closes. */
export async function closeHeartbeatBuffer(ctx: object): Promise<void> {
  await buffers.get(ctx)?.close();
}
