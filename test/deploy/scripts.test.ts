import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths';
import { tempDir } from '../support/server';

/** A directory of programs that only record how they were called (no Docker engine here). */
function recordingPath(failing: string[] = []): { bin: string; log: string } {
  const bin = tempDir('bin');
  const log = path.join(bin, 'calls.log');
  for (const name of ['git', 'docker', 'setup', 'build-agent']) {
    const status = failing.includes(name) ? 1 : 0;
    fs.writeFileSync(
      path.join(bin, name),
      `#!/bin/sh\necho "${name} $*" >> "${log}"\nexit ${status}\n`,
      { mode: 0o755 },
    );
  }
  return { bin, log };
}

interface DeployOptions {
  failing?: string[];
  env?: Record<string, string>;
  /** Contents of deploy/.env: the script then runs from a copy of itself in a tree of its own. */
  dotenv?: string;
}

function deploy(args: string[], options: DeployOptions = {}) {
  const { bin, log } = recordingPath(options.failing);
  const root = options.dotenv === undefined ? REPO_ROOT : treeWithDotenv(options.dotenv);
  const result = spawnSync('bash', ['scripts/deploy.sh', ...args], {
    cwd: root,
    env: {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      OPTRALIS_BUILD_AGENT: path.join(bin, 'build-agent'),
      OPTRALIS_SETUP: path.join(bin, 'setup'),
      ...options.env,
    },
    encoding: 'utf8',
  });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return { ...result, calls: calls.filter((call) => call !== 'docker compose version') };
}

function treeWithDotenv(dotenv: string): string {
  const root = tempDir('deploy-tree');
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.mkdirSync(path.join(root, 'deploy'));
  fs.copyFileSync(path.join(REPO_ROOT, 'scripts/deploy.sh'), path.join(root, 'scripts/deploy.sh'));
  fs.writeFileSync(path.join(root, 'deploy/.env'), dotenv);
  return root;
}

const COMPOSE = 'docker compose -f deploy/docker-compose.yml';

describe('scripts/deploy.sh', () => {
  it('is shellcheck clean, like init-agent-ca.sh and build-agent.sh', () => {
    const scripts = ['scripts/deploy.sh', 'scripts/init-agent-ca.sh', 'scripts/build-agent.sh'];
    const result = spawnSync('shellcheck', scripts, { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(result.status, result.stdout).toBe(0);
  });

  it('pulls, refreshes node_modules, builds the agents, rebuilds the server, restarts Caddy', () => {
    const result = deploy(['--agent-version', '1.2.3', '--channel', 'beta']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.calls).toEqual([
      'git pull --ff-only',
      'setup --node-only',
      'build-agent -v 1.2.3 -c beta',
      `${COMPOSE} build server`,
      `${COMPOSE} up -d server`,
      `${COMPOSE} up -d caddy`,
      `${COMPOSE} restart caddy`,
    ]);
  });

  it('recreates the second replica too when the replica profile is on', () => {
    const expected = [
      `${COMPOSE} build server`,
      `${COMPOSE} up -d server server-2`,
      `${COMPOSE} up -d caddy`,
      `${COMPOSE} restart caddy`,
    ];
    const args = ['--skip-git', '--agent-version', '1.2.3'];
    const fromEnv = deploy(args, { env: { COMPOSE_PROFILES: 'metrics,replica' } });
    expect(fromEnv.status, fromEnv.stderr).toBe(0);
    expect(fromEnv.calls.slice(2)).toEqual(expected);

    // Where operators set it (deploy/.env.example), with the quotes and comment it may carry.
    const fromFile = deploy(args, {
      dotenv: 'POSTGRES_PASSWORD=x\nCOMPOSE_PROFILES="replica" # on\n',
    });
    expect(fromFile.status, fromFile.stderr).toBe(0);
    expect(fromFile.calls.slice(2)).toEqual(expected);

    // The environment wins over deploy/.env, as it does for compose.
    const off = deploy(args, {
      dotenv: 'COMPOSE_PROFILES=replica\n',
      env: { COMPOSE_PROFILES: '' },
    });
    expect(off.calls).toContain(`${COMPOSE} up -d server`);
    const commented = deploy(args, { dotenv: '# COMPOSE_PROFILES=replica\n' });
    expect(commented.calls).toContain(`${COMPOSE} up -d server`);
  });

  it('stops at the first failure', () => {
    const result = deploy(['--agent-version', '1.2.3'], { failing: ['build-agent'] });
    expect(result.status).not.toBe(0);
    expect(result.calls).toEqual([
      'git pull --ff-only',
      'setup --node-only',
      'build-agent -v 1.2.3 -c stable',
    ]);
    // Agents are never built against node_modules that could not be brought up to date.
    const stale = deploy(['--agent-version', '1.2.3'], { failing: ['setup'] });
    expect(stale.status).not.toBe(0);
    expect(stale.calls).toEqual(['git pull --ff-only', 'setup --node-only']);
  });

  it('builds only the agents with --skip-api --skip-dashboard --skip-git', () => {
    const result = deploy(['--skip-api', '--skip-dashboard', '--skip-git']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.calls).toHaveLength(2);
    expect(result.calls[0]).toBe('setup --node-only');
    expect(result.calls[1]).toMatch(/^build-agent -v \S+ -c stable$/);
  });

  it('says that there is no AI service, and refuses unknown options', () => {
    const ai = deploy(['--ai-only']);
    expect(ai.status).toBe(0);
    expect(ai.stdout).toContain('no AI service');
    expect(ai.calls).toEqual([]);
    const unknown = deploy(['--frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown option --frobnicate');
  });
});

describe('scripts/init-agent-ca.sh', () => {
  it('creates the CA once, keeps it without --force, backs it up with --force', () => {
    const dir = path.join(tempDir('etc'), 'optralis', 'ca');
    const run = (...args: string[]) =>
      spawnSync('bash', ['scripts/init-agent-ca.sh', '--dir', dir, ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(fs.statSync(path.join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expectOwnedByContainer(dir, first);
    const certificate = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    expect(fs.readFileSync(path.join(dir, 'ca-bundle.crt'), 'utf8')).toBe(certificate);
    // What Caddy shows as /etc/caddy/optralis-agent-ca.crt (deploy/docker-compose.yml).
    const forCaddy = path.join(dir, 'trusted', 'optralis-agent-ca.crt');
    expect(fs.readFileSync(forCaddy, 'utf8')).toBe(certificate);

    const again = run();
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('left unchanged');
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(certificate);

    const forced = run('--force');
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('reinstall the agents');
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).not.toBe(certificate);
    expect(fs.readFileSync(forCaddy, 'utf8')).toBe(
      fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    );
    const backups = fs
      .readdirSync(path.dirname(dir))
      .filter((name) => /^ca\.backup\.\d{8}-\d{6}$/.test(name));
    expect(backups).toHaveLength(1);
    // The rewritten files are the container's too, not root's.
    expectOwnedByContainer(dir, forced);
  });

  it('gives the CA to whoever --owner names', () => {
    const dir = path.join(tempDir('etc'), 'ca');
    const uid = process.getuid?.() ?? 0;
    const result = spawnSync(
      'bash',
      ['scripts/init-agent-ca.sh', '--dir', dir, '--owner', `${uid}:${process.getgid?.() ?? 0}`],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(fs.statSync(path.join(dir, 'ca.key')).uid).toBe(uid);
    expect(result.stderr).toBe('');
  });
});

/**
 * Run as root (as the guide says), the CA belongs to the server container's user 10001 unless
 * --owner says otherwise; run as anyone else, the script cannot give it away and says so.
 */
function expectOwnedByContainer(dir: string, result: { stdout: string; stderr: string }) {
  if (process.getuid?.() !== 0) {
    expect(result.stderr).toContain('cannot read it');
    return;
  }
  for (const file of [
    '',
    'ca.key',
    'ca.crt',
    'ca-bundle.crt',
    'trusted',
    'trusted/agent-ca-1.crt',
    'trusted/optralis-agent-ca.crt',
  ]) {
    const stat = fs.statSync(path.join(dir, file));
    expect({ file, uid: stat.uid, gid: stat.gid }).toEqual({ file, uid: 10001, gid: 10001 });
  }
  expect(result.stdout).toContain('giving');
}
