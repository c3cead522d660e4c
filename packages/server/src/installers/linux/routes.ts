import { MAX_USAGE_LIMIT, normalizeArchitecture } from '@optralis/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireAdmin, writeScope } from '../../auth/guard';
import type { AppContext } from '../../context';
import { parseChannel } from '../../downloads/files';
import { AppError } from '../../errors';
import { parseInput } from '../../http/validate';
import { INSTALLER_TOKEN_MINUTES } from '../../tokens/service';
import {
  genericInstallScript,
  LINUX_INSTALLER_FILE,
  personalizedInstallScript,
  uninstallScript,
} from './service';

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, 'must be a whole number')
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be from ${min} to ${max}`);

export const linuxInstallerParams = z.object({ arch: z.string().max(32) });

export const linuxInstallerQuery = z
  .object({
    mode: z
      .enum(['token', 'certificate'], { error: 'must be token or certificate' })
      .default('token'),
    channel: z.string().max(32).default('stable'),
    max_usage: wholeNumber(0, MAX_USAGE_LIMIT).optional(),
    ttl_minutes: wholeNumber(1, INSTALLER_TOKEN_MINUTES).optional(),
    client_id: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((query) => query.mode !== 'certificate' || (query.max_usage ?? 1) === 1, {
    path: ['max_usage'],
    message: 'must be 1 in certificate mode (the certificate is for one machine)',
  })
  .refine((query) => query.mode !== 'certificate' || query.ttl_minutes === undefined, {
    path: ['ttl_minutes'],
    message: 'applies to token mode only',
  });

function sendScript(reply: FastifyReply, script: string) {
  return reply
    .header('content-type', 'text/x-shellscript; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(script);
}

/**
 * The Linux scripts: `/install.sh` and `/uninstall.sh` for everyone (they carry no secret), and
 * `GET /api/installer/linux/{amd64,arm64}` for administrators, which mints a token or a
 * certificate at every call: never cached, and no HEAD (it would mint one too). Downloads are
 * counted by platform in observability/hooks.ts.
 */
export function linuxInstallerRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/install.sh', async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return sendScript(reply, genericInstallScript(ctx));
  });

  app.get('/uninstall.sh', async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return sendScript(reply, uninstallScript(ctx));
  });

  app.get('/api/installer/linux/:arch', { exposeHeadRoute: false }, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const params = parseInput(linuxInstallerParams, request.params);
    const arch = normalizeArchitecture(params.arch);
    if (!arch) throw new AppError('invalid_arch');
    const query = parseInput(linuxInstallerQuery, request.query);
    const channel = parseChannel(query.channel);
    const clientId = await writeScope(ctx, user, request);

    const script = await personalizedInstallScript(ctx, {
      clientId,
      userId: user.userId,
      arch,
      mode: query.mode,
      channel,
      maxUsage: query.max_usage ?? 1,
      ttlMinutes: query.ttl_minutes,
      sourceIp: request.ip,
    });
    reply
      .header('content-disposition', `attachment; filename=${LINUX_INSTALLER_FILE}`)
      .header('cache-control', 'no-store');
    return sendScript(reply, script);
  });
}
