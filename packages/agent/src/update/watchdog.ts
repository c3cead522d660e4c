import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentLog } from '../log';
import { claimPending, readPending, recordFailure, updateState } from './state';
import { restoreBinary } from './swap';

export const WATCHDOG_LOG = 'update-watchdog.log';

/**
 * Starts the watchdog from the previous binary's copy, so that it runs even when the new binary
 * cannot start at all. Under systemd it gets a transient unit of its own: a process left in the
 * agent's unit would be killed with it when the agent exits to restart. Elsewhere (Windows'
 * service wrapper, a supervisor, a terminal) it is a detached process.
 */
export function spawnWatchdog(previous: string, configDir: string): void {
  const args = ['update-watchdog', '--config-dir', configDir];
  if (process.env.INVOCATION_ID && spawnSync('systemd-run', ['--version']).status === 0) {
    const unit = `optralis-agent-update-watchdog-${Date.now()}`;
    spawn('systemd-run', ['--unit', unit, '--collect', '--quiet', previous, ...args], {
      stdio: 'ignore',
    }).unref();
    return;
  }
  const log = fs.openSync(path.join(configDir, WATCHDOG_LOG), 'a', 0o600);
  spawn(previous, args, { detached: true, stdio: ['ignore', log, log] }).unref();
  fs.closeSync(log);
}

export interface WatchdogDeps {
  now?: () => Date;
  /** Stops the new version's process; the service manager then starts the restored binary. */
  stop?: (pid: number) => void;
  pollMs?: number;
}

function stopProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone: the service manager will start the restored binary on its next restart.
  }
}

/**
 * Waits for the pending update to be confirmed by the new version's first good heartbeat. If
 * the deadline passes first, restores the previous binary, records the failure (reported in the
 * next heartbeat's `update_error`, and that release is not tried again) and stops the new
 * version so that the service manager starts the previous one.
 */
export async function runWatchdog(
  configDir: string,
  log: AgentLog,
  deps: WatchdogDeps = {},
): Promise<'confirmed' | 'restored'> {
  const now = deps.now ?? (() => new Date());
  for (;;) {
    const pending = readPending(configDir);
    if (!pending) {
      log.info('update watchdog done: no update is pending any more');
      return 'confirmed';
    }
    const left = Date.parse(pending.deadline) - now().getTime();
    if (left <= 0) break;
    await sleep(Math.min(left, deps.pollMs ?? 1000));
  }
  const restored = restorePending(configDir, 'did not come up and send a heartbeat in time');
  if (!restored) return 'confirmed';
  log.warn('update failed; previous version restored', {
    version: restored.to_version,
    restored: restored.from_version,
  });
  if (restored.pid !== undefined && restored.pid !== process.pid) {
    (deps.stop ?? stopProcess)(restored.pid);
  }
  return 'restored';
}

/** Restores the previous binary of a pending update, if nobody else has settled it. */
export function restorePending(configDir: string, why: string) {
  const pending = claimPending(configDir);
  if (!pending) return undefined;
  // The failure is recorded before the binary goes back: the restored version, started by the
  // service manager at any moment, must already know not to take the same release again.
  updateState(configDir, (state) =>
    recordFailure(state, {
      version: pending.to_version,
      sha256: pending.sha256,
      reason: `${pending.to_version} ${why}; ${pending.from_version} was restored`,
    }),
  );
  restoreBinary(pending.binary, pending.previous);
  return pending;
}
