import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

type RunOptions = { env?: Record<string, string>; input?: string; cwd?: string };

/** Runs a TypeScript entry point of this repository in a child Node process. */
export function runTs(entry: string, args: string[], options: RunOptions = {}) {
  return runNode(path.join(REPO_ROOT, entry), args, options, ['--import', 'tsx']);
}

/** Runs a JavaScript file in a child Node process and collects what it prints. */
export function runNode(
  script: string,
  args: string[],
  options: RunOptions = {},
  nodeOptions: string[] = [],
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, script, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.stdin.end(options.input ?? '');
  });
}

/** The `optralis` command, as the bundle the test run made from the current sources. */
export function optralis(args: string[], env: Record<string, string>, input?: string) {
  return runNode(serverBundle(), args, { env, ...(input ? { input } : {}) });
}

/** The `optralis` command bundled by test/support/global-setup.ts. */
export function serverBundle(): string {
  const bundle = process.env.OPTRALIS_TEST_SERVER_BUNDLE;
  if (!bundle) throw new Error('the server bundle is made by test/support/global-setup.ts');
  return bundle;
}

/** The `optralis-agent` program, as the bundle the test run made from the current sources. */
export function optralisAgent(args: string[], env: Record<string, string> = {}) {
  return runNode(agentBundle(), args, { env });
}

/** The agent bundled from the current sources by test/support/global-setup.ts. */
export function agentBundle(): string {
  const bundle = process.env.OPTRALIS_TEST_AGENT_BUNDLE;
  if (!bundle) throw new Error('the agent bundle is made by test/support/global-setup.ts');
  return bundle;
}

/** Parses the JSON a command printed, with its output in the message when it is not JSON. */
export function json<T = unknown>(result: ProcessResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** What an `optralis --json` command that failed printed: one JSON object on standard error. */
export function cliError(result: ProcessResult): { code: string; message: string } {
  try {
    const printed = JSON.parse(result.stderr) as { error: { code: string; message: string } };
    return printed.error;
  } catch {
    throw new Error(`expected one JSON error (exit ${result.code}):\n${result.stderr}`);
  }
}

export interface ServerProcess {
  publicUrl: string;
  agentApiUrl: string;
  child: ChildProcess;
  /** What it printed on standard output so far. */
  output(): string;
  /** What it printed on standard error (its log) so far. */
  errors(): string;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * `optralis serve` in a process of its own, as in production, with ports chosen by the system.
 * Resolves once it prints where it listens; rejects with its output if it exits first.
 */
export function startServerProcess(
  env: Record<string, string>,
  options: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [serverBundle(), '--json', 'serve', ...options], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      OPTRALIS_HTTP_PORT: '0',
      OPTRALIS_AGENT_PORT: '0',
      OPTRALIS_LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((text) => text.startsWith('{"public_url"'));
      if (!line) return;
      const banner = JSON.parse(line) as { public_url: string; agent_api_url: string };
      resolve({
        publicUrl: banner.public_url,
        agentApiUrl: banner.agent_api_url,
        child,
        output: () => stdout,
        errors: () => stderr,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => {
      reject(new Error(`optralis serve exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
}
