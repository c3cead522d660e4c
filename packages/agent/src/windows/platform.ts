import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type CommandRunner, systemRunner } from './commands';
import { elevationCommand } from './elevation';
import { type WindowsPaths, windowsPaths } from './paths';
import { type ServiceWrapperFiles, shippedServiceWrapper } from './wrapper';

/**
 * Everything the installer needs from Windows, in one place: the paths, the tools it runs,
 * whether it has administrator rights, elevation and the service wrapper's files. The real
 * one is below; `dry-run.ts` has one that records the commands instead of running them and
 * keeps its folders under a scratch directory, for tests and for work on Linux.
 */
export interface WindowsPlatform {
  readonly name: 'windows' | 'dry-run';
  readonly paths: WindowsPaths;
  /** `path.win32` on Windows; `path.posix` for the dry run on Linux. */
  readonly path: path.PlatformPath;
  readonly runner: CommandRunner;
  /** The executable being run (the installer itself), copied into the program folder. */
  readonly ownExecutable: string | undefined;
  /** The user's scratch folder (`%TEMP%`), for the log and the GUI's temporary files. */
  readonly tempDir: string;
  isAdministrator(): Promise<boolean>;
  /** Runs this executable again with administrator rights and returns its exit status. */
  runElevated(args: readonly string[]): Promise<number>;
  serviceWrapper(): ServiceWrapperFiles;
  /** Starts a detached command that outlives this process, its arguments passed verbatim. */
  spawnDetached(file: string, args: readonly string[]): void;
}

/**
 * Administrator rights, tested by what they allow: creating a folder in Program Files. With a
 * manifest, a 64-bit program is never redirected to the virtual store, so this fails without
 * elevation and succeeds with it, whatever the language of the system.
 */
export function canWriteProgramFiles(paths: Pick<WindowsPaths, 'programFilesRoot'>): boolean {
  const probe = path.win32.join(
    paths.programFilesRoot,
    `.optralis-agent-probe-${process.pid}-${Date.now()}`,
  );
  try {
    fs.mkdirSync(probe);
  } catch {
    return false;
  }
  fs.rmSync(probe, { recursive: true, force: true });
  return true;
}

function ownSeaExecutable(): string | undefined {
  const sea = process.getBuiltinModule?.('node:sea') as { isSea(): boolean } | undefined;
  return sea?.isSea() ? process.execPath : undefined;
}

export function systemPlatform(env: NodeJS.ProcessEnv = process.env): WindowsPlatform {
  const paths = windowsPaths(env, path.win32);
  const ownExecutable = ownSeaExecutable();
  return {
    name: 'windows',
    paths,
    path: path.win32,
    runner: systemRunner,
    ownExecutable,
    tempDir: env.TEMP ?? env.TMP ?? path.win32.join(paths.systemRoot, 'Temp'),
    async isAdministrator() {
      return canWriteProgramFiles(paths);
    },
    async runElevated(args) {
      if (!ownExecutable) throw new Error('elevation needs the agent executable');
      const command = elevationCommand(paths, ownExecutable, args);
      const result = await systemRunner.run(command.file, command.args);
      return result.code;
    },
    serviceWrapper: shippedServiceWrapper,
    spawnDetached(file, args) {
      // cmd.exe does not read the C runtime's quoting: its command line is passed as written.
      spawn(file, [...args], {
        detached: true,
        stdio: 'ignore',
        windowsHide: true,
        windowsVerbatimArguments: true,
      }).unref();
    },
  };
}
