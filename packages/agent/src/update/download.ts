import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ReleaseStatement } from '@optralis/protocol';

export class DownloadError extends Error {
  constructor(
    readonly code: 'http' | 'size' | 'checksum' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** Records which release a partial download belongs to, so that only that one is resumed. */
function sidecarOf(temporary: string): string {
  return `${temporary}.json`;
}

function partialLength(temporary: string, statement: ReleaseStatement): number {
  try {
    const sidecar = JSON.parse(fs.readFileSync(sidecarOf(temporary), 'utf8')) as {
      sha256?: unknown;
    };
    if (sidecar.sha256 !== statement.sha256) return 0;
    const size = fs.statSync(temporary).size;
    return size <= statement.size ? size : 0;
  } catch {
    return 0;
  }
}

async function hashFile(file: string, hash: crypto.Hash): Promise<void> {
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
}

/**
 * Downloads the statement's file to `temporary`, resuming a partial download of the same
 * release with a Range request, and checks its size and SHA-256 against the signed statement.
 * Nothing beyond the signed size is accepted. On a mismatch the file is removed.
 */
export async function downloadRelease(
  statement: ReleaseStatement,
  temporary: string,
  signal?: AbortSignal,
): Promise<void> {
  let offset = partialLength(temporary, statement);
  if (offset === 0) {
    fs.rmSync(temporary, { force: true });
    fs.writeFileSync(sidecarOf(temporary), JSON.stringify({ sha256: statement.sha256 }));
  }
  const headers: Record<string, string> =
    offset > 0 && offset < statement.size ? { range: `bytes=${offset}-` } : {};

  let response: Response;
  try {
    response = await fetch(statement.url, {
      headers,
      signal: signal ?? AbortSignal.timeout(60 * 60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new DownloadError('network', `cannot download ${statement.url}: ${cause?.code ?? error}`);
  }
  if (response.status === 200) offset = 0;
  else if (response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
    if (Number(start) !== offset) offset = 0;
  } else if (!(response.status === 416 && offset === statement.size)) {
    throw new DownloadError('http', `the download answered HTTP ${response.status}`);
  }

  const hash = crypto.createHash('sha256');
  if (offset > 0) await hashFile(temporary, hash);
  const out = fs.openSync(temporary, offset > 0 ? 'a' : 'w', 0o700);
  let written = offset;
  try {
    if (response.status !== 416 && response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        written += chunk.length;
        if (written > statement.size) {
          throw new DownloadError('size', `the download is larger than ${statement.size} bytes`);
        }
        hash.update(chunk);
        fs.writeSync(out, chunk);
      }
    }
  } catch (error) {
    fs.closeSync(out);
    if (error instanceof DownloadError) discard(temporary);
    throw error instanceof DownloadError
      ? error
      : new DownloadError('network', `the download was interrupted: ${(error as Error).message}`);
  }
  fs.fsyncSync(out);
  fs.closeSync(out);

  if (written !== statement.size) {
    discard(temporary);
    throw new DownloadError('size', `the download is ${written} bytes, not ${statement.size}`);
  }
  if (hash.digest('hex') !== statement.sha256) {
    discard(temporary);
    throw new DownloadError('checksum', 'the downloaded file does not match its SHA-256');
  }
  fs.rmSync(sidecarOf(temporary), { force: true });
}

export function discard(temporary: string): void {
  fs.rmSync(temporary, { force: true });
  fs.rmSync(sidecarOf(temporary), { force: true });
}
