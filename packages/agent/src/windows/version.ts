import type { CommandRunner } from './commands';
import type { WindowsPaths } from './paths';
import { parseRegQuery, type RegistryValue, readRegistryKey, registryNumber } from './registry';

export const CURRENT_VERSION_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';

/** What the registry says about the running Windows. */
export interface WindowsVersion {
  /** `CurrentBuildNumber`: 17763 for Windows 10 1809 / Server 2019, 22000+ for Windows 11. */
  build: number;
  /** 10 from Windows 10 on; 6 for Vista to 8.1 (6.1 = 7, 6.2 = 8, 6.3 = 8.1). */
  major: number;
  minor: number;
  productName?: string | undefined;
  displayVersion?: string | undefined;
}

/**
 * Reads the version from `reg query` of the CurrentVersion key. `CurrentMajorVersionNumber`
 * exists from Windows 10 on; before it, `CurrentVersion` ("6.3") is the only source, and from
 * Windows 10 on `CurrentVersion` stays "6.3" for old programs, so it is the fallback only.
 */
export function windowsVersionFromRegistry(
  values: Map<string, RegistryValue>,
): WindowsVersion | undefined {
  const buildText = values.get('CurrentBuildNumber')?.data ?? values.get('CurrentBuild')?.data;
  const build = buildText && /^\d+$/.test(buildText.trim()) ? Number(buildText.trim()) : undefined;
  if (build === undefined) return undefined;

  let major = registryNumber(values.get('CurrentMajorVersionNumber'));
  let minor = registryNumber(values.get('CurrentMinorVersionNumber'));
  if (major === undefined) {
    const [legacyMajor, legacyMinor] = (values.get('CurrentVersion')?.data ?? '').split('.');
    major = Number(legacyMajor) || 0;
    minor = Number(legacyMinor) || 0;
  }
  return {
    build,
    major,
    minor: minor ?? 0,
    productName: values.get('ProductName')?.data || undefined,
    displayVersion: values.get('DisplayVersion')?.data || undefined,
  };
}

export function parseWindowsVersion(regQueryOutput: string): WindowsVersion | undefined {
  return windowsVersionFromRegistry(parseRegQuery(regQueryOutput));
}

/** The running Windows' version, or undefined when the registry cannot be read. */
export async function readWindowsVersion(
  runner: CommandRunner,
  paths: Pick<WindowsPaths, 'systemRoot'>,
): Promise<WindowsVersion | undefined> {
  const values = await readRegistryKey(runner, paths, CURRENT_VERSION_KEY);
  return values ? windowsVersionFromRegistry(values) : undefined;
}

/** "Microsoft Windows 10 (build 18362)", for messages. */
export function describeWindows(version: WindowsVersion): string {
  const name = version.productName ?? `Windows ${version.major}.${version.minor}`;
  const display = version.displayVersion ? ` ${version.displayVersion}` : '';
  return `${name}${display} (build ${version.build})`;
}
