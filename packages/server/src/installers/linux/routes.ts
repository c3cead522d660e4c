import { MAX_USAGE_LIMIT, normalizeArchitecture } from '@optralis/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin, writeScope } from '../../auth/guard';
import type { AppContext } from '../../context';
import { parseChannel } from '../../downloads/files';
import { AppError } from '../../errors';
import { ADMIN, errors, shellScript } from '../../http/route-schema';
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

const linuxInstallerParams = z.object({ arch: z.string().max(32) });

const linuxInstallerQuery = z
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
  const generic = {
    tags: ['installers'],
    summary: 'The generic Linux installer, for curl … | sudo bash -s -- --token-file FILE',
    description:
      'Filled in with this server’s public URL; carries no secret. Options: --token-file, ' +
      '--token, --url, --channel, --no-service, --reenroll, --root (see --help).',
    response: { 200: shellScript('install.sh') },
  };
  app.get('/install.sh', { schema: generic }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return sendScript(reply, genericInstallScript(ctx));
  });

  const uninstall = {
    tags: ['installers'],
    summary: 'The Linux uninstaller: service, program, configuration, certificates and logs',
    response: { 200: shellScript('uninstall.sh') },
  };
  app.get('/uninstall.sh', { schema: uninstall }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return sendScript(reply, uninstallScript(ctx));
  });

  const personalized = {
    tags: ['installers'],
    summary: 'A personalized install-optralis-agent.sh for amd64 or arm64 (administrators)',
    description:
      'Token mode (default) embeds a fresh installer token (24 hours unless ttl_minutes, ' +
      'max_usage machines, default 1) and the CA; certificate mode embeds the certificate and ' +
      'key of one machine enrolled now. Every call mints a new one: the answer is never ' +
      'cached. Audited as installer.generated.',
    security: ADMIN,
    params: linuxInstallerParams,
    querystring: linuxInstallerQuery,
    response: {
      200: shellScript('install-optralis-agent.sh, named by Content-Disposition.'),
      ...errors(400, 401, 403, 404),
    },
  };
  const route = { exposeHeadRoute: false, schema: personalized };
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/api/installer/linux/:arch', route, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const arch = normalizeArchitecture(request.params.arch);
    if (!arch) throw new AppError('invalid_arch');
    const query = request.query;
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
