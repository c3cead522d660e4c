import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';
import type { ProcessResult } from './processes';
import { tempDir } from './server';

export const FAKE_SYSTEMCTL = path.join(REPO_ROOT, 'test/support/fake-systemctl.sh');
export const UNIT = 'optralis-agent.service';

/** Runs a shell command line with bash, as an administrator would type it, without a terminal. */
export function sh(command: string, env: Record<string, string> = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: tempDir('tmp'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `command`, run by bash in a mount namespace of its own once the mount commands `mounts` ran
 * there: one run sees a system directory otherwise, and the machine itself is left as it is.
 * Mounting needs root, as the installer tests have.
 */
export function inMountNamespace(mounts: string, command: string): string {
  const inside = `${mounts} && exec bash -c "$1"`;
  return `unshare --mount --propagation private bash -c ${q(inside)} - ${q(command)}`;
}

/** Quotes a value for a bash command line. */
export function q(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The stand-in for systemctl (systemd cannot run here), with its state for one install root. */
export interface FakeSystemd {
  env: Record<string, string>;
  calls(): string[];
  enabled(): boolean;
  active(): boolean;
  /** Stops what it started, whatever the test did. */
  stop(): void;
}

export function fakeSystemd(root: string): FakeSystemd {
  const state = tempDir('systemd');
  const env = {
    OPTRALIS_SYSTEMCTL: FAKE_SYSTEMCTL,
    FAKE_SYSTEMCTL_STATE: state,
    FAKE_SYSTEMCTL_UNITS: path.join(root, 'etc/systemd/system'),
  };
  const ask = (...args: string[]) =>
    spawnSync(FAKE_SYSTEMCTL, args, { env: { ...process.env, ...env } }).status === 0;
  return {
    env,
    calls: () => {
      const log = path.join(state, 'calls.log');
      return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
    },
    enabled: () => fs.existsSync(path.join(state, 'enabled', UNIT)),
    active: () => ask('is-active', '--quiet', UNIT),
    stop: () => {
      ask('stop', UNIT);
    },
  };
}

/** Every file, directory and link under `root`, with its mode and content hash. */
export function snapshot(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const stat = fs.lstatSync(full);
      const mode = (stat.mode & 0o7777).toString(8);
      const key = path.relative(root, full);
      if (stat.isDirectory()) {
        entries[key] = `dir ${mode}`;
        walk(full);
      } else if (stat.isSymbolicLink()) entries[key] = `link ${fs.readlinkSync(full)}`;
      else {
        const hash = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
        entries[key] = `file ${mode} ${hash}`;
      }
    }
  };
  walk(root);
  return entries;
}

export function modeOf(file: string): string {
  return (fs.statSync(file).mode & 0o7777).toString(8);
}

/** Polls `check` until it holds; the tests' own timeout is the only limit. */
export async function until(check: () => Promise<boolean> | boolean) {
  for (;;) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A token file as an administrator keeps one: readable by root only. */
export function tokenFile(token: string): string {
  const file = path.join(tempDir('token'), 'install.token');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}
