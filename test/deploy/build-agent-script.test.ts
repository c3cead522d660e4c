// scripts/build-agent.sh, the wrapper operators run: what it refuses before anything is built,
// and what it hands to the build itself (scripts/build-agent.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths';
import { tempDir } from '../support/server';

function buildAgentSh(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('bash', ['scripts/build-agent.sh', ...args], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
  });
}

/** A `node` that records its arguments instead of building: what the wrapper passes on. */
function recordingNode(): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const bin = tempDir('node-bin');
  const log = path.join(bin, 'calls.log');
  fs.writeFileSync(path.join(bin, 'node'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\n`, {
    mode: 0o755,
  });
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

describe('scripts/build-agent.sh', () => {
  it.each([
    [['-v', '1.0'], 'version "1.0" is not a semantic version such as 1.0.0'],
    [['-v', '1.0.0', '-c', 'nightly'], 'channel "nightly" is neither stable nor beta'],
    [['-c', 'beta'], '-v VERSION is required'],
    [['-v', '1.0.0', '--arm'], 'unknown option --arm'],
  ])('refuses %j with exit 64, building nothing', (args, message) => {
    const out = path.join(tempDir('refused'), 'downloads');
    const result = buildAgentSh([...args, '--', '-o', out]);
    expect(result.status, result.stderr).toBe(64);
    expect(result.stderr).toContain(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses -v without a value', () => {
    const result = buildAgentSh(['-v']);
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('Usage: bash scripts/build-agent.sh -v VERSION');
  });

  it('hands version, channel and the Linux targets to the build', () => {
    const node = recordingNode();
    const result = buildAgentSh(['-v', '1.4.0'], node.env);
    expect(result.status, result.stderr).toBe(0);
    expect(node.calls()).toEqual([
      'scripts/build-agent.mjs --version 1.4.0 --channel stable --targets linux-amd64,linux-arm64',
    ]);
  });

  it('adds Windows with --windows and passes what follows -- through unchanged', () => {
    const node = recordingNode();
    const args = ['--version', '2.0.0-beta.1', '--channel', 'beta', '--windows'];
    const result = buildAgentSh([...args, '--', '--no-gzip', '-o', '/srv/downloads'], node.env);
    expect(result.status, result.stderr).toBe(0);
    expect(node.calls()).toEqual([
      'scripts/build-agent.mjs --version 2.0.0-beta.1 --channel beta ' +
        '--targets linux-amd64,linux-arm64,windows-amd64 --no-gzip -o /srv/downloads',
    ]);
  });
});
