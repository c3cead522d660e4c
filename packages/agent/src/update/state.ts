import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../files';

/** What the agent remembers about updates, in its config directory. */
export const STATE_FILE = 'update-state.json';
/** Present from the swap until the new version's first good heartbeat. */
export const PENDING_FILE = 'update-pending.json';

const stateSchema = z.object({
  /**
   * The highest release-catalogue sequence this agent has seen signed, in an accepted offer or
   * in the catalogue statement of any heartbeat answer; offers below it are replays.
   */
  last_sequence: z.number().int().min(0).default(0),
  /** Releases not to try again (before `retry_after`, or never when it is absent). */
  failed: z
    .array(
      z.object({
        version: z.string(),
        sha256: z.string(),
        reason: z.string(),
        retry_after: z.string().optional(),
      }),
    )
    .max(50)
    .default([]),
  /** Sent as `update_error` in the next heartbeat, then cleared. */
  report: z.string().max(512).optional(),
});

export type UpdateState = z.infer<typeof stateSchema>;

const pendingSchema = z.object({
  from_version: z.string(),
  to_version: z.string(),
  sha256: z.string(),
  binary: z.string(),
  previous: z.string(),
  started_at: z.string(),
  /** The new version must have sent a good heartbeat by then, or the previous one is restored. */
  deadline: z.string(),
  /** The new version's process, once it started (the watchdog stops it when it restores). */
  pid: z.number().int().optional(),
});

export type PendingUpdate = z.infer<typeof pendingSchema>;

function readJson<T>(file: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function readState(configDir: string): UpdateState {
  return readJson(path.join(configDir, STATE_FILE), stateSchema) ?? stateSchema.parse({});
}

export function writeState(configDir: string, state: UpdateState): void {
  writeFileAtomic(path.join(configDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function updateState(configDir: string, change: (state: UpdateState) => void): UpdateState {
  const state = readState(configDir);
  change(state);
  writeState(configDir, state);
  return state;
}

export function readPending(configDir: string): PendingUpdate | undefined {
  return readJson(path.join(configDir, PENDING_FILE), pendingSchema);
}

export function writePending(configDir: string, pending: PendingUpdate): void {
  const text = `${JSON.stringify(pending, null, 2)}\n`;
  writeFileAtomic(path.join(configDir, PENDING_FILE), text, 0o600);
}

/**
 * Takes the pending marker away, atomically: of the new version confirming, the new version
 * giving up and the watchdog restoring, exactly one wins; the others get undefined.
 */
export function claimPending(configDir: string): PendingUpdate | undefined {
  const file = path.join(configDir, PENDING_FILE);
  const claimed = `${file}.${process.pid}.claimed`;
  try {
    fs.renameSync(file, claimed);
  } catch {
    return undefined;
  }
  const pending = readJson(claimed, pendingSchema);
  fs.rmSync(claimed, { force: true });
  return pending;
}

/** Whether a release failed before and should not be tried again yet. */
export function isFailed(state: UpdateState, sha256: string, now: Date): boolean {
  return state.failed.some(
    (entry) =>
      entry.sha256 === sha256 &&
      (entry.retry_after === undefined || Date.parse(entry.retry_after) > now.getTime()),
  );
}

export function recordFailure(
  state: UpdateState,
  failure: { version: string; sha256: string; reason: string; retryAfter?: Date },
): void {
  state.failed = state.failed.filter((entry) => entry.sha256 !== failure.sha256).slice(-49);
  state.failed.push({
    version: failure.version,
    sha256: failure.sha256,
    reason: failure.reason,
    ...(failure.retryAfter ? { retry_after: failure.retryAfter.toISOString() } : {}),
  });
  state.report = failure.reason.slice(0, 512);
}
