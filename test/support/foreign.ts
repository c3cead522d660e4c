import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessResult } from './processes';
import { tempDir } from './server';

/** The Wine loader of Debian's wine64 package (it puts no `wine64` on the PATH). */
export const WINE = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver';
/** The arm64 C libraries of Debian's libc6-arm64-cross, for qemu-aarch64's `-L`. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/**
 * Runs a program with stdout and stderr going to files rather than pipes: under Wine, a Node
 * program whose stdout is a pipe fails at its first write (EBADF).
 */
export function runToFiles(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ProcessResult> {
  const dir = tempDir('output');
  const outFile = path.join(dir, 'stdout');
  const errFile = path.join(dir, 'stderr');
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', out, err],
    });
    child.on('error', reject);
    child.on('close', (code) => {
      fs.closeSync(out);
      fs.closeSync(err);
      resolve({
        code,
        stdout: fs.readFileSync(outFile, 'utf8'),
        stderr: fs.readFileSync(errFile, 'utf8'),
      });
    });
  });
}

/** A fresh Wine prefix that reports Windows 10 (Node refuses to start on what Wine reports by default). */
export async function newWinePrefix(): Promise<Record<string, string>> {
  const env = { WINEPREFIX: path.join(tempDir('wine'), 'prefix'), WINEDEBUG: '-all' };
  for (const args of [
    ['wineboot', '--init'],
    ['winecfg', '/v', 'win10'],
  ]) {
    const result = await runToFiles(WINE, args, env);
    if (result.code !== 0) throw new Error(`wine ${args.join(' ')} failed: ${result.stderr}`);
  }
  return env;
}

/** Waits until the prefix's wineserver has exited, which writes the registry files out. */
export async function stopWine(env: Record<string, string>): Promise<void> {
  await runToFiles(WINESERVER, ['-w'], env);
}

/**
 * MachineGuid as the prefix's registry file holds it, read without Wine: an independent reading
 * for the tests. Call `stopWine` first; the registry reaches the file when wineserver exits.
 */
export function wineMachineGuid(prefix: string): string | undefined {
  const registry = fs.readFileSync(path.join(prefix, 'system.reg'), 'utf8');
  const section = registry.split(/\r?\n\r?\n/).find((block) => {
    return block.startsWith('[Software\\\\Microsoft\\\\Cryptography]');
  });
  return section ? /"MachineGuid"="([^"]+)"/.exec(section)?.[1] : undefined;
}

/**
 * The values of a service's registry key as the prefix's system.reg holds them (call
 * `stopWine` first), or undefined when the service does not exist.
 */
export function wineServiceEntry(prefix: string, name: string): Record<string, string> | undefined {
  const registry = fs.readFileSync(path.join(prefix, 'system.reg'), 'utf8');
  const header = `[System\\\\CurrentControlSet\\\\Services\\\\${name}]`;
  const section = registry.split(/\r?\n\r?\n/).find((block) => block.startsWith(header));
  if (!section) return undefined;
  const values: Record<string, string> = {};
  for (const line of section.split(/\r?\n/)) {
    const match = /^"([^"]+)"=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) values[match[1]] = match[2];
  }
  return values;
}

/** Where a `C:\…` path of the prefix is on this machine. */
export function winePath(prefix: string, windowsPath: string): string {
  const relative = windowsPath.replace(/^C:\\/i, '').split('\\');
  return path.join(prefix, 'drive_c', ...relative);
}
