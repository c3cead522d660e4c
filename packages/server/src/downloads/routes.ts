import fs from 'node:fs/promises';
import send from '@fastify/send';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { binary, errors, noContent } from '../http/route-schema';
import { type Segment, SegmentedBody, sendSegmented } from '../http/segmented-body';
import {
  cacheControlFor,
  checkFileName,
  chooseRepresentation,
  contentTypeFor,
  parseChannel,
} from './files';

/** send's own refusals, in the API's error shape (the range refusal keeps its Content-Range). */
function refusal(status: number, contentRange: string | undefined): AppError {
  if (status === 416) {
    const size = contentRange?.split('/')[1];
    return new AppError('range_not_satisfiable', `The range is outside the file (${size} bytes).`);
  }
  if (status === 412) return new AppError('precondition_failed');
  return new AppError('not_found', 'No such download.');
}

const downloadParams = z.object({
  channel: z.string().max(32),
  file: z.string().max(256),
});

/** Large reads keep the event loop free while a ~100 MB build streams to many clients. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * `GET /downloads/{channel}/{file}`: agent builds and their metadata, with their length, an
 * ETag and Last-Modified for conditional requests, byte ranges for resumed downloads, and the
 * build's precompressed `.gz` when the client accepts gzip. Nothing is compressed per request.
 */
export function downloadRoutes(app: FastifyInstance, ctx: AppContext): void {
  const schema = {
    tags: ['releases'],
    summary: 'An agent build or its metadata file, from the downloads directory (public)',
    description:
      'Channel stable or beta. Answers with Content-Length, ETag and Last-Modified; supports ' +
      'conditional requests and one byte range (Range: bytes=N-) for resumed downloads; sends ' +
      "the build's precompressed .gz with Content-Encoding: gzip when the client accepts gzip " +
      'and asks for no range.',
    params: downloadParams,
    response: {
      200: binary('The file.'),
      206: binary('The requested byte range.'),
      304: noContent,
      ...errors(400, 404, 412, 416),
    },
  };
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/downloads/:channel/:file', { schema }, async (request, typed) => {
    // The reference describes the bytes as a string; the answer is a file stream.
    const reply = typed as FastifyReply;
    const params = request.params;
    const channel = parseChannel(params.channel);
    const name = checkFileName(params.file);
    const chosen = chooseRepresentation(ctx.config.downloadsDir, channel, name, {
      'accept-encoding': request.headers['accept-encoding'],
      range: request.headers.range,
    });

    const result = await send(request.raw, `/${encodeURIComponent(chosen.name)}`, {
      root: chosen.root,
      dotfiles: 'deny',
      index: false,
      cacheControl: false,
      contentType: false,
      acceptRanges: chosen.encoding === undefined,
      highWaterMark: READ_CHUNK_BYTES,
    });
    if (result.type !== 'file') {
      result.stream.destroy();
      const range = result.headers['Content-Range'];
      if (range) reply.header('content-range', range);
      throw refusal(result.statusCode, range);
    }

    reply.status(result.statusCode).headers(result.headers);
    reply.header('vary', 'Accept-Encoding');
    reply.header('cache-control', cacheControlFor(name));
    if (result.statusCode !== 304) reply.header('content-type', contentTypeFor(name));
    if (chosen.encoding) reply.header('content-encoding', chosen.encoding);
    if (!name.endsWith('.json')) {
      reply.header('content-disposition', `attachment; filename="${name}"`);
    }
    if (request.method !== 'GET' || (result.statusCode !== 200 && result.statusCode !== 206)) {
      return reply.send(result.stream);
    }
    // The bytes go through SegmentedBody's reused buffers rather than send's file stream.
    result.stream.destroy();
    const handle = await fs.open(result.metadata.path, 'r');
    return sendSegmented(reply, new SegmentedBody(handle, [sentRange(result.headers)]));
  });
}

/** The part of the file that send's headers announce: a Content-Range, or all of it. */
function sentRange(headers: Record<string, string | number>): Segment {
  const length = Number(headers['Content-Length']);
  const range = /^bytes (\d+)-/.exec(String(headers['Content-Range'] ?? ''));
  const start = range ? Number(range[1]) : 0;
  return { kind: 'file', start, end: start + length };
}
