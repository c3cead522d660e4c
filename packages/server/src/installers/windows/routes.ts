import { negotiate } from '@fastify/accept-negotiator';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireAdmin, writeScope } from '../../auth/guard';
import type { AppContext } from '../../context';
import { parseInput } from '../../http/validate';
import { contentDisposition } from '../filename';
import { WindowsInstallers } from './service';

/** The machine counts the dashboard offers: 1, 10, 50, or 0 for unlimited. */
export const WINDOWS_MAX_USAGES = ['1', '10', '50', '0'] as const;

export const windowsInstallerQuery = z
  .object({
    max_usage: z
      .enum(WINDOWS_MAX_USAGES, { error: 'must be 1, 10, 50 or 0 (unlimited)' })
      .default('1'),
    mode: z
      .enum(['token', 'certificate'], { error: 'must be token or certificate' })
      .default('token'),
    format: z.enum(['exe', 'zip'], { error: 'must be exe or zip' }).default('exe'),
    client_id: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((query) => query.mode !== 'certificate' || query.max_usage === '1', {
    path: ['max_usage'],
    message: 'must be 1 in certificate mode (the certificate is for one machine)',
  });

/**
 * `GET /api/installer/windows`: a personalized installer for the caller's client (or, for a
 * super-admin, the client named by `client_id`). Every call mints a new token or certificate,
 * so it is never cached, and HEAD is not offered (it would mint one too).
 */
export function windowsInstallerRoutes(app: FastifyInstance, ctx: AppContext): void {
  const installers = new WindowsInstallers(ctx);

  app.get('/api/installer/windows', { exposeHeadRoute: false }, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const query = parseInput(windowsInstallerQuery, request.query);
    const clientId = await writeScope(ctx, user, request);
    const accept = request.headers['accept-encoding'];
    const download = await installers.generate({
      clientId,
      userId: user.userId,
      mode: query.mode,
      maxUsage: Number(query.max_usage),
      format: query.format,
      acceptsGzip: accept ? negotiate(accept, ['gzip', 'identity']) === 'gzip' : false,
      sourceIp: request.ip,
    });
    reply
      .header('content-type', download.contentType)
      .header('content-length', String(download.length))
      .header('content-disposition', contentDisposition(download.fileName))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'Accept-Encoding');
    if (download.encoding) reply.header('content-encoding', download.encoding);
    return reply.send(download.body);
  });
}
