import type { Architecture, Platform } from '@optralis/protocol';
import { normalizeArchitecture } from '@optralis/protocol';
import { windowsPaths } from './windows/paths';

export function currentPlatform(): Platform {
  return process.platform === 'win32' ? 'windows' : 'linux';
}

export function currentArch(): Architecture {
  const arch = normalizeArchitecture(process.arch);
  if (!arch) throw new Error(`unsupported architecture ${process.arch}`);
  return arch;
}

/** Where the service keeps config.json and the certificates (the specification's paths). */
export function defaultConfigDir(): string {
  if (currentPlatform() === 'windows') return windowsPaths().dataDir;
  return '/etc/optralis-agent';
}
