import fs from 'node:fs';
import path from 'node:path';
import {
  type Architecture,
  CHANNELS,
  type Channel,
  type MetadataFileError,
  type Platform,
  parseLinuxReleaseMetadata,
  parseWindowsReleaseMetadata,
  RELEASE_METADATA_FILES,
  ReleaseMetadataError,
} from '@optralis/protocol';

/** One file a metadata file offers. */
export interface OfferedFile {
  version: string;
  channel: Channel;
  platform: Platform;
  architecture: Architecture;
  filename: string;
  checksum_sha256: string;
  file_size_bytes: number;
  build_time: string;
  /** The metadata file, relative to the downloads directory (`stable/metadata-linux.json`). */
  source: string;
}

export interface DownloadsListing {
  files: OfferedFile[];
  errors: MetadataFileError[];
}

/** Metadata files are a few hundred bytes; anything this large is not one. */
const MAX_METADATA_BYTES = 256 * 1024;

/**
 * Reads every `{channel}/metadata-{platform}.json` of the downloads directory through the
 * protocol's schemas. A missing file is simply absent; a bad one is reported with its name and
 * the reason, and never hides what the other files offer.
 */
export function readDownloads(downloadsDir: string): DownloadsListing {
  const listing: DownloadsListing = { files: [], errors: [] };
  for (const channel of CHANNELS) {
    for (const platform of ['windows', 'linux'] as const) {
      const source = `${channel}/${RELEASE_METADATA_FILES[platform]}`;
      try {
        const bytes = readSmallFile(path.join(downloadsDir, source), source);
        if (!bytes) continue;
        const files = offeredFiles(platform, bytes, source);
        const stray = files.find((file) => file.channel !== channel);
        if (stray) {
          throw new ReleaseMetadataError(
            source,
            'invalid',
            `channel: says ${stray.channel} but the file is in ${channel}/`,
          );
        }
        listing.files.push(...files);
      } catch (error) {
        listing.errors.push(describe(error, source));
      }
    }
  }
  return listing;
}

function offeredFiles(platform: Platform, bytes: Uint8Array, source: string): OfferedFile[] {
  if (platform === 'windows') {
    const metadata = parseWindowsReleaseMetadata(bytes, source);
    return [{ ...metadata, source }];
  }
  const metadata = parseLinuxReleaseMetadata(bytes, source);
  return (['amd64', 'arm64'] as const).flatMap((architecture) => {
    const file = metadata.architectures[architecture];
    if (!file) return [];
    return [
      {
        version: metadata.version,
        channel: metadata.channel,
        platform: 'linux' as const,
        architecture,
        ...file,
        build_time: metadata.build_time,
        source,
      },
    ];
  });
}

function readSmallFile(file: string, source: string): Uint8Array | undefined {
  let handle: number;
  try {
    handle = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fs.fstatSync(handle).size;
    if (size > MAX_METADATA_BYTES) {
      throw new ReleaseMetadataError(source, 'invalid', `is ${size} bytes, too large`);
    }
    const bytes = Buffer.alloc(size);
    fs.readSync(handle, bytes, 0, size, 0);
    return bytes;
  } finally {
    fs.closeSync(handle);
  }
}

function describe(error: unknown, source: string): MetadataFileError {
  if (error instanceof ReleaseMetadataError) {
    return { file: error.file, problem: error.problem, message: error.message };
  }
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return { file: source, problem: 'unreadable', message: `${source}: cannot be read (${code})` };
}

/** Where agents and installers download a file of a channel (served by the downloads module). */
export function downloadUrl(publicUrl: string, channel: Channel, filename: string): string {
  return `${publicUrl}/downloads/${channel}/${encodeURIComponent(filename)}`;
}
