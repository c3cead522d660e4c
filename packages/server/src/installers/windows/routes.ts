import { negotiate } from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin, writeScope } from '../../auth/guard';
import type { AppContext } from '../../context';
import { ADMIN, errors } from '../../http/route-schema';
import { SegmentedBody, sendSegmented } from '../../http/segmented-body';
import { contentDisposition } from '../filename';
import { WindowsInstallers } from './service';

/** The machine counts the dashboard offers: 1, 10, 50, or 0 for unlimited. */
export const WINDOWS_MAX_USAGES = ['1', '10', '50', '0'] as const;

const windowsInstallerQuery = z
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

const WINDOWS_INSTALLER_SCHEMA = {
  tags: ['installers'],
  summary: 'A personalized Windows installer: the agent executable with a payload (administrators)',
  description:
    'Every call makes a new 24-hour windows_installer token for max_usage machines (1, 10, 50, ' +
    '0 = unlimited), or with mode=certificate enrolls one machine and carries its certificate ' +
    'and key. The payload (config.json, ca.crt, token.txt or client.crt and client.key) is ' +
    "added to the current stable Windows build (STUB_PATH_WINDOWS when set); a signed build's " +
    'Authenticode signature still verifies. Content-Disposition names the file ' +
    'optralis-agent-v{version}.exe, or after the client when no stable release in the database ' +
    'is that build. Without a build that can be personalized, or with format=zip, the answer ' +
    'is the fallback ZIP (install.ps1, README.txt, the payload files with ca.crt and ' +
    'release-key.json, and optralis-agent.exe when there is a build). With no Windows build ' +
    'to send or download at all: 503 windows_build_unavailable, and no token is made. Gzip ' +
    'when accepted; never cached; every call is an installer.generated audit event.',
  security: ADMIN,
  querystring: windowsInstallerQuery,
  response: {
    200: {
      description: 'The installer.',
      content: {
        'application/vnd.microsoft.portable-executable': { schema: z.string().describe('bytes') },
        'application/zip': { schema: z.string().describe('bytes') },
      },
    },
    ...errors(400, 401, 403, 404, 503),
  },
};

/**
 * `GET /api/installer/windows`: a personalized installer for the caller's client (or, for a
 * super-admin, the client named by `client_id`). Every call mints a new token or certificate,
 * so it is never cached, and HEAD is not offered (it would mint one too).
 */
export function windowsInstallerRoutes(app: FastifyInstance, ctx: AppContext): void {
  const installers = new WindowsInstallers(ctx);

  const route = { exposeHeadRoute: false, schema: WINDOWS_INSTALLER_SCHEMA };
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/api/installer/windows', route, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const query = request.query;
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
    if (!(download.body instanceof SegmentedBody)) {
      // The reference describes the bytes as a string; the body may be a stream.
      return (reply as FastifyReply).send(download.body);
    }
    await sendSegmented(reply as FastifyReply, download.body);
  });
}
