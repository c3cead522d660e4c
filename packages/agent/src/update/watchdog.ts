import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentLog } from '../log';
import { claimPending, readPending, recordFailure, updateState } from './state';
import { restoreBinary } from './swap';

export const WATCHDOG_LOG = 'update-watchdog.log';

/** The watchdog could not be started: handing over to the new binary would be unguarded. */
export class WatchdogError extends Error {
  readonly code = 'watchdog_unavailable';

  constructor(reason: string) {
    super(`cannot start the update watchdog (${reason})`);
    this.name = 'WatchdogError';
  }
}

/** How long systemd-run may take to start the unit; it answers in well under a second. */
const SYSTEMD_RUN_TIMEOUT_MS = 60_000;

/**
 * Starts the watchdog from the previous binary's copy, so that it runs even when the new binary
 * cannot start at all. Under systemd it gets a transient unit of its own: a process left in the
 * agent's unit would be killed with it when the agent exits to restart (KillMode=control-group),
 * so there a detached process is no fallback and a failing systemd-run is an error. Elsewhere
 * (Windows' service wrapper, a supervisor, a terminal) it is a detached process.
 * Throws a WatchdogError when the watchdog did not start.
 */
export function spawnWatchdog(
  previous: string,
  configDir: string,
  env: NodeJS.ProcessEnv = process.env,
): 'systemd-run' | 'detached' {
  const args = ['update-watchdog', '--config-dir', configDir];
  if (env.INVOCATION_ID && spawnSync('systemd-run', ['--version'], { env }).status === 0) {
    startTransientUnit(previous, args, env);
    return 'systemd-run';
  }
  startDetached(previous, args, configDir, env);
  return 'detached';
}

function startTransientUnit(previous: string, args: string[], env: NodeJS.ProcessEnv): void {
  const unit = `optralis-agent-update-watchdog-${Date.now()}`;
  // Without --wait, systemd-run returns once the unit is started, with its status.
  const ran = spawnSync(
    'systemd-run',
    ['--unit', unit, '--collect', '--quiet', previous, ...args],
    {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: SYSTEMD_RUN_TIMEOUT_MS,
    },
  );
  if (ran.status === 0) return;
  const said = ran.stderr?.trim().split('\n').at(-1)?.slice(0, 200);
  const reason = ran.error
    ? ((ran.error as NodeJS.ErrnoException).code ?? ran.error.message)
    : `systemd-run exited with ${ran.status ?? ran.signal}${said ? `: ${said}` : ''}`;
  throw new WatchdogError(reason);
}

function startDetached(
  previous: string,
  args: string[],
  configDir: string,
  env: NodeJS.ProcessEnv,
): void {
  const log = fs.openSync(path.join(configDir, WATCHDOG_LOG), 'a', 0o600);
  try {
    const child = spawn(previous, args, { detached: true, env, stdio: ['ignore', log, log] });
    // A process that could not be created has no pid; its error event comes later.
    child.once('error', () => {});
    if (child.pid === undefined) throw new WatchdogError(`${previous} could not be started`);
    child.unref();
  } finally {
    fs.closeSync(log);
  }
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
