import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors';

/** Compressed bodies are small; what they inflate to is bounded separately. */
export const MAX_COMPRESSED_BYTES = 1024 * 1024;
export const MAX_INFLATED_BYTES = 4 * 1024 * 1024;

const ACCEPTED_ENCODINGS = new Set(['', 'identity', 'gzip', 'x-gzip']);

export function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/**
 * JSON bodies, plain or gzip. The gzip magic bytes decide, not the header: a CDN may already
 * have inflated the body while keeping `Content-Encoding: gzip`. Inflating stops at a limit so a
 * small bomb cannot take the memory.
 */
export function decodeJsonBody(body: Buffer): unknown {
  let text: Buffer = body;
  if (isGzip(body)) {
    try {
      text = gunzipSync(body, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new AppError('payload_too_large');
      throw new AppError('invalid_body', 'The gzip body is damaged.');
    }
  }
  if (text.length > MAX_INFLATED_BYTES) throw new AppError('payload_too_large');
  try {
    return JSON.parse(text.toString('utf8'));
  } catch {
    throw new AppError('invalid_body', 'The request body is not valid JSON.');
  }
}

export function checkContentEncoding(header: string | undefined): void {
  const encoding = (header ?? '').trim().toLowerCase();
  if (!ACCEPTED_ENCODINGS.has(encoding)) {
    throw new AppError('unsupported_media_type', 'Only gzip or uncompressed bodies are accepted.');
  }
}

/** The agent API reads JSON only: any other content type (text/plain too) is a 415. */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: MAX_COMPRESSED_BYTES },
    (_request, body, done) => {
      try {
        done(null, decodeJsonBody(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
