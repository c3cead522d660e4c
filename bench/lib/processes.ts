import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputMessage, isInputRequest } from './input';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * When set (`npm run bench -- NAME --cpu-prof DIR`), every Optralis server process the
 * benchmarks start writes a V8 CPU profile into this directory when it stops.
 */
let profileDir: string | undefined;

export function profileServersInto(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  profileDir = path.resolve(dir);
}

function profileArgs(name: string): string[] {
  if (!profileDir) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
  ];
}

export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `optralis-bench-${prefix}-`));
}

/**
 * Runs a load generator (a file of bench/load) in a process of its own and returns the one
 * message it sends back. A generator that outlives `timeoutMs` is killed.
 */
export function runLoad<T>(file: string, input: unknown, timeoutMs = 600_000): Promise<T> {
  return startLoad<T>(file, input, timeoutMs).result;
}

/** Forks a file of bench/load, answers its request for input, and hands on its first message. */
function forkHelper(
  file: string,
  input: unknown,
  onFirst: (message: unknown) => void,
): ChildProcess {
  const child = fork(path.join(ROOT, 'bench/load', file), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let delivered = false;
  child.on('message', (message) => {
    if (isInputRequest(message)) {
      child.send(inputMessage(input));
    } else if (!delivered) {
      delivered = true;
      onFirst(message);
    }
  });
  return child;
}

/** Like `runLoad`, with a way to tell the generator to finish early (`stop()`). */
export function startLoad<T>(
  file: string,
  input: unknown,
  timeoutMs = 600_000,
): { result: Promise<T>; stop(): void } {
  let answered = false;
  let answer: (message: T) => void = () => {};
  const child = forkHelper(file, input, (message) => {
    answered = true;
    answer(message as T);
  });
  const result = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    answer = resolve;
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!answered) reject(new Error(`load generator ${file} exited (${code}) without a result`));
    });
  });
  return {
    result,
    stop() {
      if (child.connected) child.send('stop');
    },
  };
}

/** Reads the CPU time a process used so far (user + system, in milliseconds), from /proc. */
export function cpuMillis(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return kb * 1024;
}

/**
 * Anonymous memory of a process (heap, stacks, buffers): what it holds for itself. RSS also
 * counts the pages of its executable that it has touched, clean and shared with the page cache.
 */
export function privateBytes(pid: number): number {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = Number(rollup.match(/^Anonymous:\s+(\d+)/m)?.[1] ?? 0);
  return kb * 1024;
}

export interface ServerProcess {
  child: ChildProcess;
  publicUrl: string;
  agentApiUrl: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

let defaultEntry = path.join(ROOT, 'packages/server/bin/optralis.mjs');

/**
 * `npm run bench -- NAME --server FILE`: every benchmark runs that build of the server, a copy
 * of `packages/server/dist/optralis.mjs` kept inside the repository (so that it finds
 * node_modules), for example under bench/results/ to compare two commits.
 */
export function useServerBuild(file: string): void {
  if (!fs.existsSync(file)) throw new Error(`no server build at ${file}`);
  defaultEntry = path.resolve(file);
}

/** The built Optralis server (`npm run build`, or `entry`), alone in its own process. */
export async function startServerProcess(
  env: Record<string, string> = {},
  label = 'server',
  entry = defaultEntry,
): Promise<ServerProcess> {
  const dataDir = scratchDir('server');
  const fullEnv: Record<string, string> = {
    OPTRALIS_DATA_DIR: dataDir,
    OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
    OPTRALIS_HTTP_PORT: '0',
    OPTRALIS_AGENT_PORT: '0',
    OPTRALIS_ADMIN_PASSWORD: 'benchmark-password',
    OPTRALIS_LOG_LEVEL: 'error',
    OPTRALIS_LOG_FORMAT: 'json',
    NODE_ENV: 'production',
    // Benchmarks measure throughput, not the limits that protect it.
    OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0',
    OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '0',
    ...env,
  };
  const child = spawn(process.execPath, [...profileArgs(label), entry, '--json', 'serve'], {
    env: { ...process.env, ...fullEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const banner = await new Promise<{ public_url: string; agent_api_url: string }>(
    (resolve, reject) => {
      let seen = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const line = seen.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    },
  );
  return {
    child,
    publicUrl: banner.public_url,
    agentApiUrl: banner.agent_api_url,
    env: fullEnv,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The `optralis` CLI (built) against a server's store, returning its JSON output. */
export async function cli<T>(env: Record<string, string>, args: string[]): Promise<T> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'packages/server/bin/optralis.mjs'), '--json', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`optralis ${args.join(' ')} failed (${code})`);
  return JSON.parse(out) as T;
}

/** A client and an unlimited one-hour token on that server. */
export async function unlimitedToken(server: ServerProcess): Promise<string> {
  const client = await cli<{ id: string }>(server.env, ['client', 'create', 'Benchmark']);
  const made = await cli<{ token: string }>(server.env, [
    'token',
    'create',
    '--client',
    client.id,
    '--max-usage',
    '0',
    '--ttl',
    '60m',
  ]);
  return made.token;
}

/** A helper process (a file of bench/load) that stays up after its first message. */
export async function startBackground<T>(
  file: string,
  input: unknown,
): Promise<{ message: T; pid: number; stop(): Promise<void> }> {
  let answer: (message: T) => void = () => {};
  const child = forkHelper(file, input, (value) => answer(value as T));
  const message = await new Promise<T>((resolve, reject) => {
    answer = resolve;
    child.once('exit', (code) => reject(new Error(`${file} exited (${code})`)));
  });
  return {
    message,
    pid: child.pid ?? 0,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Machines enrolled without a CSR (the server makes their keys): identities for load. */
export async function enrollIdentities(
  server: ServerProcess,
  count: number,
): Promise<{ identities: { cert: string; key: string }[]; ca: string }> {
  const token = await unlimitedToken(server);
  const identities: { cert: string; key: string }[] = [];
  let ca = '';
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${server.publicUrl}/api/public/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token,
        hostname: `load-${i}`,
        hardware_id: `load-hw-${i}`,
        arch: 'amd64',
        platform: 'linux',
      }),
    });
    if (!response.ok) throw new Error(`enrollment ${i} failed: ${response.status}`);
    const body = (await response.json()) as {
      certificate: string;
      private_key: string;
      ca_cert: string;
    };
    identities.push({ cert: body.certificate, key: body.private_key });
    ca = body.ca_cert;
  }
  return { identities, ca };
}
