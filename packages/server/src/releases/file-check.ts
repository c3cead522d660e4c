import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CHANNELS, type MetadataFileError } from '@optralis/protocol';
import { isServableName, regularFile } from '../downloads/files';

/** A file of the downloads directory and what someone says of it. */
export interface DescribedFile {
  /** A channel directory; anything else is reported as missing. */
  channel: string;
  filename: string;
  checksum_sha256: string;
  file_size_bytes: number;
  /** The metadata file that describes it, relative to the downloads directory. */
  source?: string;
}

/**
 * Checks that the file a metadata file (or a version row) describes is in its channel's
 * directory, a regular file (links are never served), with the size and SHA-256 given; the hash
 * is streamed. Returns the problem naming the file, or undefined when it matches. A row made
 * from a wrong description would be offered to every agent, which would download it and refuse
 * it. `says` names who gave the description in the messages.
 */
export async function checkOfferedFile(
  downloadsDir: string,
  offered: DescribedFile,
  says = 'the metadata',
): Promise<MetadataFileError | undefined> {
  const name = `${offered.channel}/${offered.filename}`;
  const by = offered.source ? ` (described by ${offered.source})` : '';
  const problem = (kind: MetadataFileError['problem'], detail: string): MetadataFileError => ({
    file: name,
    problem: kind,
    message: `${name}: ${detail}${by}`,
  });
  if (!(CHANNELS as readonly string[]).includes(offered.channel)) {
    return problem('missing', 'is not a path the downloads directory serves');
  }
  if (!isServableName(offered.filename)) {
    return problem('missing', 'is not a name the downloads directory serves');
  }
  const file = path.join(downloadsDir, offered.channel, offered.filename);
  const stat = regularFile(file);
  if (!stat) return problem('missing', 'is not in the downloads directory');
  if (stat.size !== offered.file_size_bytes) {
    return problem(
      'size_mismatch',
      `is ${stat.size} bytes, ${says} says ${offered.file_size_bytes}`,
    );
  }
  const hash = crypto.createHash('sha256');
  try {
    await pipeline(fs.createReadStream(file), hash);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return problem('unreadable', `cannot be read (${code})`);
  }
  const digest = hash.digest('hex');
  if (digest !== offered.checksum_sha256.toLowerCase()) {
    return problem('checksum_mismatch', `does not match the SHA-256 of ${says}`);
  }
  return undefined;
}

/**
 * The file of this server's downloads directory a download URL points to (`{publicUrl}/
 * downloads/{channel}/{file}`), or undefined for a URL elsewhere. A URL inside the downloads
 * path that no file could be served at gives a name that fails the check.
 */
export function localDownload(
  publicUrl: string,
  downloadUrl: string,
): { channel: string; filename: string } | undefined {
  let url: URL;
  let base: URL;
  try {
    url = new URL(downloadUrl);
    base = new URL(publicUrl);
  } catch {
    return undefined;
  }
  const prefix = `${base.pathname.replace(/\/+$/, '')}/downloads/`;
  if (url.origin !== base.origin || !url.pathname.startsWith(prefix)) return undefined;
  const [channel = '', ...rest] = url.pathname.slice(prefix.length).split('/');
  try {
    return { channel, filename: rest.map(decodeURIComponent).join('/') };
  } catch {
    // Broken percent-encoding: no file has that name.
    return { channel, filename: rest.join('/') };
  }
}
