import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Windows tool (`sc.exe`, `reg.exe`, `icacls.exe`…). The installer talks to Windows only
 * through this, so that the dry-run platform can record the commands instead of running them.
 */
export interface CommandRunner {
  run(file: string, args: readonly string[]): Promise<CommandResult>;
}

/**
 * Runs the tool for real, without a console window. The console tools print in the OEM code
 * page (850 on a French Windows): the output is read as Latin-1, and only its ASCII parts
 * (numbers, SIDs, registry data) are ever interpreted.
 */
export const systemRunner: CommandRunner = {
  run(file, args) {
    return new Promise((resolve) => {
      execFile(
        file,
        [...args],
        { encoding: 'latin1', windowsHide: true, timeout: 120_000, maxBuffer: 4 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const failure = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
          let code = 0;
          if (failure) code = typeof failure.code === 'number' ? failure.code : -1;
          resolve({
            code,
            stdout: stdout ?? '',
            stderr: stderr || (failure && code === -1 ? failure.message : ''),
          });
        },
      );
    });
  },
};

/** One line saying how a command failed, for logs and error messages (its output has no secrets). */
export function describeFailure(result: CommandResult): string {
  const text = `${result.stderr}\n${result.stdout}`
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
  return `exit ${result.code}${text ? `: ${text.slice(0, 300)}` : ''}`;
}
