import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { spawnWatchdog, WATCHDOG_LOG, WatchdogError } from './watchdog';

/** A `systemd-run` that records its arguments, and fails when asked to. */
const FAKE_SYSTEMD_RUN = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "systemd 252 (252.30-1)"; exit 0; fi
printf '%s\\n' "$@" > "$FAKE_ARGS"
if [ -n "$FAKE_FAIL" ]; then
  echo "Failed to start transient service unit: Access denied" >&2
  exit 1
fi
`;

/** The previous binary's stand-in: records that it was started, and with what. */
const FAKE_PREVIOUS = `#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_STARTED.tmp" && /bin/mv "$FAKE_STARTED.tmp" "$FAKE_STARTED"
`;

function setup(options: { systemdRun: boolean; invocation: boolean; fail?: boolean }) {
  const dir = tempDir('watchdog');
  const bin = path.join(dir, 'bin');
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(bin);
  fs.mkdirSync(configDir);
  if (options.systemdRun) {
    fs.writeFileSync(path.join(bin, 'systemd-run'), FAKE_SYSTEMD_RUN, { mode: 0o755 });
  }
  const previous = path.join(dir, 'optralis-agent.previous');
  fs.writeFileSync(previous, FAKE_PREVIOUS, { mode: 0o755 });
  // Only the fake directory (the fakes name the tools they use): a real systemd-run on this
  // machine must not be found.
  const env: NodeJS.ProcessEnv = {
    PATH: bin,
    FAKE_ARGS: path.join(dir, 'systemd-run.args'),
    FAKE_STARTED: path.join(dir, 'started.args'),
    ...(options.invocation ? { INVOCATION_ID: '0123456789abcdef0123456789abcdef' } : {}),
    ...(options.fail ? { FAKE_FAIL: '1' } : {}),
  };
  const lines = (file: string | undefined) =>
    file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n') : undefined;
  return {
    previous,
    configDir,
    env,
    systemdRunArgs: () => lines(env.FAKE_ARGS),
    startedArgs: () => lines(env.FAKE_STARTED),
  };
}

async function eventually<T>(check: () => T | undefined): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the watchdog process never started');
}

describe('starting the update watchdog', () => {
  it('under systemd, runs it from the previous binary in a transient unit of its own', () => {
    const t = setup({ systemdRun: true, invocation: true });
    expect(spawnWatchdog(t.previous, t.configDir, t.env)).toBe('systemd-run');
    const args = t.systemdRunArgs() ?? [];
    expect(args[0]).toBe('--unit');
    expect(args[1]).toMatch(/^optralis-agent-update-watchdog-\d+$/);
    expect(args.slice(2)).toEqual([
      '--collect',
      '--quiet',
      t.previous,
      'update-watchdog',
      '--config-dir',
      t.configDir,
    ]);
    // systemd starts it: no detached process of the agent's own unit, no log of one.
    expect(t.startedArgs()).toBeUndefined();
    expect(fs.existsSync(path.join(t.configDir, WATCHDOG_LOG))).toBe(false);
  });

  it('under systemd, a failing systemd-run is an error that names its reason', () => {
    const t = setup({ systemdRun: true, invocation: true, fail: true });
    const start = () => spawnWatchdog(t.previous, t.configDir, t.env);
    expect(start).toThrow(WatchdogError);
    expect(start).toThrow(
      'cannot start the update watchdog (systemd-run exited with 1: ' +
        'Failed to start transient service unit: Access denied)',
    );
    expect(t.systemdRunArgs()).toContain('update-watchdog');
    // A process left in the agent's unit would die with it: none is started.
    expect(t.startedArgs()).toBeUndefined();
  });

  it('outside systemd, or without systemd-run, starts a detached process with its own log', async () => {
    for (const options of [
      { systemdRun: true, invocation: false },
      { systemdRun: false, invocation: true },
    ]) {
      const t = setup(options);
      expect(spawnWatchdog(t.previous, t.configDir, t.env)).toBe('detached');
      expect(await eventually(t.startedArgs)).toEqual([
        'update-watchdog',
        '--config-dir',
        t.configDir,
      ]);
      expect(t.systemdRunArgs()).toBeUndefined();
      const log = fs.statSync(path.join(t.configDir, WATCHDOG_LOG));
      expect(log.mode & 0o777).toBe(0o600);
    }
  });

  it('says so when the previous binary cannot be started at all', () => {
    const t = setup({ systemdRun: false, invocation: false });
    fs.rmSync(t.previous);
    expect(() => spawnWatchdog(t.previous, t.configDir, t.env)).toThrow(
      `cannot start the update watchdog (${t.previous} could not be started)`,
    );
  });
});
