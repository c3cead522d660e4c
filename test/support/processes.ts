import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point of this repository in a child Node process. */
export function runTs(
  entry: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, entry), ...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
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

/** The `optralis` admin CLI, run from source. */
export function optralis(args: string[], env: Record<string, string>, input?: string) {
  return runTs('packages/server/src/cli.ts', args, { env, ...(input ? { input } : {}) });
}

/** The `optralis-agent` program, run from source. */
export function optralisAgent(args: string[], env: Record<string, string> = {}) {
  return runTs('packages/agent/src/main.ts', args, { env });
}

/** Parses the JSON a command printed, with its output in the message when it is not JSON. */
export function json<T = unknown>(result: ProcessResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}
