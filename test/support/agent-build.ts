import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withFileLock } from './lock';
import { REPO_ROOT } from './paths';

export const AGENT_TARGETS = ['linux-amd64', 'linux-arm64', 'windows-amd64'] as const;
export type AgentTarget = (typeof AGENT_TARGETS)[number];

export interface AgentBuildRequest<T extends AgentTarget> {
  version: string;
  channel: 'stable' | 'beta';
  targets: readonly T[];
}

export interface AgentBuild<T extends AgentTarget> {
  /** A downloads directory (use it as OPTRALIS_DOWNLOADS_DIR): `{dir}/{channel}/…`. */
  dir: string;
  channelDir: string;
  /** The executable of each requested target, under the specification's file name. */
  files: Record<T, string>;
  /** `metadata-linux.json` / `metadata-windows.json` for the requested targets. */
  metadata: { linux?: string; windows?: string };
}

/** Everything a build depends on: a change to any of these makes a new build. */
const SOURCES = [
  'packages/agent/src',
  'packages/protocol/src',
  'scripts/agent',
  'scripts/build-agent.mjs',
  'package-lock.json',
];

let sourceHash: string | undefined;

function listFiles(entry: string): string[] {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return [entry];
  return fs
    .readdirSync(entry)
    .sort()
    .flatMap((name) => listFiles(path.join(entry, name)));
}

function hashSources(): string {
  if (sourceHash) return sourceHash;
  const hash = crypto.createHash('sha256');
  for (const source of SOURCES) {
    for (const file of listFiles(path.join(REPO_ROOT, source))) {
      if (file.endsWith('.test.ts')) continue;
      hash.update(path.relative(REPO_ROOT, file)).update('\0').update(fs.readFileSync(file));
    }
  }
  sourceHash = hash.digest('hex').slice(0, 16);
  return sourceHash;
}

/**
 * Where builds are kept: OPTRALIS_AGENT_BUILD_CACHE when set (to reuse builds across runs while
 * working on something else), else the test run's scratch directory, removed after the run.
 */
function buildRoot(): string {
  const configured = process.env.OPTRALIS_AGENT_BUILD_CACHE;
  const base =
    configured ?? path.join(process.env.OPTRALIS_TEST_TMP ?? os.tmpdir(), 'agent-builds');
  return path.join(base, hashSources());
}

function runBuild(args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'scripts/build-agent.mjs'), ...args],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', log, log],
      },
    );
    child.on('error', reject);
    child.on('close', (code) => {
      fs.closeSync(log);
      if (code === 0) return resolve();
      const output = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      reject(new Error(`the agent build failed (exit ${code}):\n${output}`));
    });
  });
}

/**
 * Runs `work` while no other agent build of this run is running, for tests that call
 * `scripts/build-agent.mjs` themselves (for example to sign).
 */
export function withAgentBuildSlot<T>(work: () => Promise<T>): Promise<T> {
  const root = buildRoot();
  fs.mkdirSync(root, { recursive: true });
  return withFileLock(path.join(root, 'build.lock'), work);
}

/**
 * Builds one target once across processes. One lock for every build of the run: targets are
 * built one after another even when several forks ask for different ones, because postject
 * needs about 0.9 GB per run and the machine has two cores.
 */
async function buildTarget(version: string, channel: string, target: AgentTarget) {
  const root = buildRoot();
  fs.mkdirSync(root, { recursive: true });
  const out = path.join(root, `${version}-${channel}-${target}`);
  const done = path.join(out, 'report.json');
  if (fs.existsSync(done)) return path.join(out, channel);
  await withAgentBuildSlot(async () => {
    if (fs.existsSync(done)) return;
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    const args = ['-v', version, '-c', channel, '-t', target, '-o', out, '--no-gzip'];
    await runBuild([...args, '--report', `${done}.tmp`], path.join(out, 'build.log'));
    fs.renameSync(`${done}.tmp`, done);
  });
  return path.join(out, channel);
}

function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

type LinuxMetadata = { architectures: Record<string, unknown>; build_time: string };

/** One downloads directory holding the requested targets and their merged metadata. */
function assemble(
  version: string,
  channel: string,
  targets: readonly AgentTarget[],
  built: Map<AgentTarget, string>,
): string {
  const dir = path.join(buildRoot(), `set-${version}-${channel}-${targets.join('+')}`);
  if (fs.existsSync(dir)) return dir;
  const scratch = fs.mkdtempSync(`${dir}.tmp-`);
  const channelDir = path.join(scratch, channel);
  fs.mkdirSync(channelDir);
  let linux: LinuxMetadata | undefined;
  for (const target of targets) {
    const source = built.get(target) as string;
    for (const name of fs.readdirSync(source)) {
      if (name === 'metadata-linux.json') {
        const part = JSON.parse(fs.readFileSync(path.join(source, name), 'utf8')) as LinuxMetadata;
        if (linux) {
          linux.architectures = { ...linux.architectures, ...part.architectures };
          // ISO times in UTC sort as text; the set's build time is its latest part's.
          linux.build_time = [part.build_time, linux.build_time].sort()[1] as string;
        } else linux = part;
      } else linkOrCopy(path.join(source, name), path.join(channelDir, name));
    }
  }
  if (linux) {
    fs.writeFileSync(
      path.join(channelDir, 'metadata-linux.json'),
      `${JSON.stringify(linux, null, 2)}\n`,
    );
  }
  try {
    fs.renameSync(scratch, dir);
  } catch {
    // Another process assembled the same set first; theirs is identical.
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

const pending = new Map<string, Promise<AgentBuild<AgentTarget>>>();

async function build<T extends AgentTarget>(request: AgentBuildRequest<T>): Promise<AgentBuild<T>> {
  const targets = AGENT_TARGETS.filter((target) => request.targets.includes(target as T));
  const built = new Map<AgentTarget, string>();
  // In sequence: postject needs about 0.9 GB per run and the machine has two cores.
  for (const target of targets) {
    built.set(target, await buildTarget(request.version, request.channel, target));
  }
  const dir = assemble(request.version, request.channel, targets, built);
  const channelDir = path.join(dir, request.channel);
  const files = {} as Record<T, string>;
  for (const target of targets) {
    const name =
      target === 'windows-amd64'
        ? `optralis-agent-v${request.version}.exe`
        : `optralis-agent-${target}-v${request.version}`;
    files[target as T] = path.join(channelDir, name);
  }
  const metadata: AgentBuild<T>['metadata'] = {};
  const linux = path.join(channelDir, 'metadata-linux.json');
  const windows = path.join(channelDir, 'metadata-windows.json');
  if (fs.existsSync(linux)) metadata.linux = linux;
  if (fs.existsSync(windows)) metadata.windows = windows;
  return { dir, channelDir, files, metadata };
}

/**
 * The agent executables for `targets`, built by `scripts/build-agent.mjs` once per test run (and
 * per source change) however many tests and forks ask: each target is built once under a lock
 * shared by every process, then the requested set is put together in its own directory.
 * The files are hard links shared by every test of the run: copy one before changing it.
 */
export function ensureAgentBuild<T extends AgentTarget>(
  request: AgentBuildRequest<T>,
): Promise<AgentBuild<T>> {
  const key = `${request.version}|${request.channel}|${[...request.targets].sort().join(',')}`;
  let promise = pending.get(key);
  if (!promise) {
    promise = build(request) as Promise<AgentBuild<AgentTarget>>;
    pending.set(key, promise);
    promise.catch(() => pending.delete(key));
  }
  return promise as Promise<AgentBuild<T>>;
}
