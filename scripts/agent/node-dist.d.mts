export const NODE_VERSION: string;
export const TARGETS: string[];

/** The npm package a target's Node binary comes from, and the integrity its tarball must have. */
export interface NodePackage {
  name: string;
  binary: string;
  integrity: string;
}

export const NODE_PACKAGES: Record<string, NodePackage>;
export function cacheRoot(env?: Record<string, string | undefined>): string;
export function hostTarget(): 'linux-amd64' | 'linux-arm64' | 'windows-amd64' | undefined;
export function nodeBinary(
  target: string,
  options?: {
    env?: Record<string, string | undefined>;
    say?: (line: string) => void;
    packages?: Record<string, NodePackage>;
  },
): Promise<string>;
