import { type ChildProcess, spawn } from 'node:child_process';

export interface Supervised {
  /** Exit statuses of every run so far, in order. */
  exits: (number | null)[];
  /** What every run wrote, interleaved. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A thin stand-in for the service manager, which cannot run here (no systemd as PID 1, no
 * Windows service control manager): it starts the file at `binary` again whenever the process
 * exits with a failure status, after a short pause, as `Restart=on-failure` with `RestartSec`
 * does in the agent's systemd unit and the restart-on-failure rule of the Windows service.
 * It re-reads the file at each start, as they do, so a swapped binary is the one that starts.
 */
export function supervise(
  binary: string,
  args: string[],
  env: Record<string, string> = {},
): Supervised {
  const exits: (number | null)[] = [];
  let text = '';
  let stopping = false;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = () => {
    child = spawn(binary, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    exited = new Promise((resolve) => {
      child?.once('exit', (code) => {
        exits.push(code);
        if (!stopping && code !== 0) setTimeout(() => stopping || start(), 300);
        resolve();
      });
    });
  };
  start();
  return {
    exits,
    output: () => text,
    async stop() {
      stopping = true;
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
