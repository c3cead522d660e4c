import fs from 'node:fs';
import type { WindowsPlatform } from '../windows/platform';
import { winswConfig } from '../windows/service';
import { EXIT, installerError } from './errors';
import { withoutPayload } from './strip-payload';

function samePath(platform: WindowsPlatform, a: string, b: string): boolean {
  const normal = (value: string) => platform.path.resolve(value);
  return platform.name === 'windows'
    ? normal(a).toLowerCase() === normal(b).toLowerCase()
    : normal(a) === normal(b);
}

/** Writes through a temporary name and a rename, so that a failure never leaves half a file. */
function replaceFile(target: string, write: (temporary: string) => void): void {
  const temporary = `${target}.${process.pid}.new`;
  try {
    write(temporary);
    fs.renameSync(temporary, target);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Puts the agent and the service wrapper in the program folder. The service is stopped before
 * (its processes hold these files). Running the installed copy itself again (a repair from
 * "Apps & features") leaves the executable as it is.
 */
export function installProgramFiles(platform: WindowsPlatform, sourceExe: string): void {
  const { paths } = platform;
  try {
    fs.mkdirSync(paths.programDir, { recursive: true });
    if (!samePath(platform, sourceExe, paths.agentExe)) {
      // Never the personalized installer's payload (its token or key): the copy is the release.
      const release = withoutPayload(fs.readFileSync(sourceExe));
      replaceFile(paths.agentExe, (temporary) => fs.writeFileSync(temporary, release));
    }
    const wrapper = platform.serviceWrapper();
    replaceFile(paths.wrapperExe, (temporary) => fs.writeFileSync(temporary, wrapper.exe));
    replaceFile(paths.wrapperRuntimeConfig, (temporary) =>
      fs.writeFileSync(temporary, wrapper.runtimeConfig),
    );
    replaceFile(paths.wrapperXml, (temporary) =>
      fs.writeFileSync(temporary, winswConfig(paths), 'utf8'),
    );
  } catch (error) {
    if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw installerError(
      'files_failed',
      `Impossible d'écrire dans ${paths.programDir} (${reason}).`,
      EXIT.installFailed,
    );
  }
  // Left by self-updates on Windows, which cannot delete a running executable.
  for (const leftover of [`${paths.agentExe}.old`, `${paths.agentExe}.failed`]) {
    fs.rmSync(leftover, { force: true });
  }
}

/** The size of the program folder in KiB, for "Apps & features". */
export function programSizeKb(platform: WindowsPlatform): number {
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = platform.path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else bytes += fs.statSync(full).size;
    }
  };
  walk(platform.paths.programDir);
  return bytes / 1024;
}
