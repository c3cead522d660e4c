export interface LinuxArchitectureEntry {
  filename: string;
  checksum_sha256: string;
  file_size_bytes: number;
}

export interface LinuxMetadata {
  version: string;
  channel: string;
  platform: 'linux';
  architectures: Record<string, LinuxArchitectureEntry>;
  build_time: string;
}

export function mergeLinuxMetadata(
  previous: unknown,
  next: LinuxMetadata,
  stillPresent: (entry: LinuxArchitectureEntry) => boolean,
): LinuxMetadata;
export function entryStillPresent(dir: string): (entry: LinuxArchitectureEntry) => boolean;
export function readJsonIfPresent(file: string): unknown;
export function writeGzipSibling(file: string, level: number): Promise<number>;
