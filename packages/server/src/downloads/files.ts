import fs from 'node:fs';
import path from 'node:path';
import { negotiate } from '@fastify/accept-negotiator';
import { CHANNELS, type Channel } from '@optralis/protocol';
import { AppError } from '../errors';

/**
 * Build outputs are plain names (`optralis-agent-linux-amd64-v1.2.0`, `metadata-linux.json`):
 * no separators, no leading dot, nothing a path could climb out of the channel directory with.
 */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

export function parseChannel(value: string): Channel {
  if (!(CHANNELS as readonly string[]).includes(value)) throw new AppError('invalid_channel');
  return value as Channel;
}

/** Whether a name is one the downloads route would serve from a channel directory. */
export function isServableName(value: string): boolean {
  return FILE_NAME.test(value) && !value.includes('..');
}

export function checkFileName(value: string): string {
  if (!isServableName(value)) {
    throw new AppError('not_found', 'No such download.');
  }
  return value;
}

export interface Representation {
  /** The directory the file is served from and its name there. */
  root: string;
  name: string;
  /** `gzip` when the precompressed sibling is served. */
  encoding?: 'gzip';
}

/** The file's status when it is a regular file; links and folders count as absent. */
export function regularFile(file: string): fs.Stats | undefined {
  try {
    const stat = fs.lstatSync(file);
    return stat.isFile() ? stat : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Picks what to send for `channel/name`: the precompressed `name.gz` when the client accepts
 * gzip, it exists and is at least as new as the file, and the request is not for a byte range
 * (a range of the compressed bytes could not be inflated on its own, and resuming clients count
 * the original's bytes); else the file itself. Links are not followed, so nothing outside the
 * downloads directory is ever served.
 */
export function chooseRepresentation(
  downloadsDir: string,
  channel: Channel,
  name: string,
  headers: { 'accept-encoding'?: string | undefined; range?: string | undefined },
): Representation {
  const root = path.join(downloadsDir, channel);
  const original = regularFile(path.join(root, name));
  if (!original) throw new AppError('not_found', 'No such download.');

  if (headers.range === undefined && headers['accept-encoding']) {
    const wanted = negotiate(headers['accept-encoding'], ['gzip', 'identity']);
    const compressed = wanted === 'gzip' ? regularFile(path.join(root, `${name}.gz`)) : undefined;
    if (compressed && compressed.mtimeMs >= original.mtimeMs) {
      return { root, name: `${name}.gz`, encoding: 'gzip' };
    }
  }
  return { root, name };
}

/** Metadata must be fetched fresh; builds are named by version and may be cached a while. */
export function cacheControlFor(name: string): string {
  return name.endsWith('.json') ? 'no-cache' : 'public, max-age=300';
}

export function contentTypeFor(name: string): string {
  if (name.endsWith('.json')) return 'application/json; charset=utf-8';
  if (name.endsWith('.sh')) return 'text/x-shellscript; charset=utf-8';
  return 'application/octet-stream';
}
