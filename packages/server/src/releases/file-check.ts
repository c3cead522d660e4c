import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MetadataFileError } from '@optralis/protocol';
import { regularFile } from '../downloads/files';
import type { OfferedFile } from './metadata';

/**
 * Checks that the file a metadata file describes is in its channel's directory, a regular file
 * (links are never served), with the size and SHA-256 the metadata gives; the hash is streamed.
 * Returns the problem naming the file, or undefined when it matches. A row imported from a
 * wrong description would be offered to every agent, which would download it and refuse it.
 */
export async function checkOfferedFile(
  downloadsDir: string,
  offered: OfferedFile,
): Promise<MetadataFileError | undefined> {
  const name = `${offered.channel}/${offered.filename}`;
  const problem = (kind: MetadataFileError['problem'], detail: string): MetadataFileError => ({
    file: name,
    problem: kind,
    message: `${name}: ${detail} (described by ${offered.source})`,
  });
  const file = path.join(downloadsDir, offered.channel, offered.filename);
  const stat = regularFile(file);
  if (!stat) return problem('missing', 'is not in the downloads directory');
  if (stat.size !== offered.file_size_bytes) {
    return problem(
      'size_mismatch',
      `is ${stat.size} bytes, the metadata says ${offered.file_size_bytes}`,
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
  if (digest !== offered.checksum_sha256) {
    return problem('checksum_mismatch', 'does not match the SHA-256 of the metadata');
  }
  return undefined;
}
