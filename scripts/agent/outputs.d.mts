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

/** One executable a build made, as the build records it before publishing. */
export interface BuiltEntry {
  target: string;
  filename: string;
  file: string;
  bytes: number;
  sha256: string;
}

export function outputName(target: string, version: string): string;
export function sha256File(file: string): Promise<string>;
export function writeGzipSibling(file: string, level: number): Promise<number>;
export function writeJson(file: string, value: unknown): void;
export function linuxMetadata(input: {
  version: string;
  channel: string;
  buildTime: string;
  built: BuiltEntry[];
}): LinuxMetadata;
export function mergeLinuxMetadata(
  previous: unknown,
  next: LinuxMetadata,
  stillPresent: (entry: LinuxArchitectureEntry) => boolean,
): LinuxMetadata;
export function entryStillPresent(dir: string): (entry: LinuxArchitectureEntry) => boolean;
export function readJsonIfPresent(file: string): unknown;
export function isoSeconds(date: Date): string;
