import {
  agentRequirementsSchema,
  agentVersionSchema,
  availableDownloadsResponseSchema,
  createAgentVersionRequestSchema,
  importAgentVersionsRequestSchema,
  importAgentVersionsResponseSchema,
  latestVersionQuerySchema,
  latestVersionResponseSchema,
  listAgentVersionsResponseSchema,
  machineChannelRequestSchema,
  updateAgentRequirementsRequestSchema,
  updateAgentVersionRequestSchema,
  versionPinRequestSchema,
  versionPinResponseSchema,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { readScope, requireAdmin, requireSuperAdmin, requireUser, writeScope } from '../auth/guard';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import {
  ADMIN,
  BEARER,
  clientScope,
  errors,
  idParam,
  noContent,
  type Security,
  SUPER_ADMIN,
} from '../http/route-schema';
import { latestRelease } from './offers';
import { moveMachine, readPin, readRequirements, writePin, writeRequirements } from './policy';
import { LATEST_FIELD_CODES, listQuery } from './schema';
import {
  availableDownloads,
  createAgentVersion,
  editAgentVersion,
  importDownloads,
  listVersionsWithStatistics,
  removeAgentVersion,
} from './service';
import { listActiveReleases, toAgentVersion } from './store';

/**
 * Releases are the product's, not a client's: every signed-in user may read them (with
 * statistics counted over the machines they may see); only super-admins change them.
 */
export function releaseRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const list = {
    ...releases('Agent versions, newest first, with the number of machines running each', BEARER),
    description:
      'Every signed-in user may read them; machine counts cover the machines the reader may ' +
      'see (a super-admin: all, or one client with ?client_id=).',
    querystring: listQuery,
    response: { 200: listAgentVersionsResponseSchema, ...errors(400, 401) },
  };
  api.get('/api/agent-versions', { schema: list }, async (request) => {
    const user = await requireUser(ctx, request);
    const query = request.query;
    const scope = readScope(user, request);
    return { versions: await listVersionsWithStatistics(ctx, scope, query.platform) };
  });

  const create = {
    ...releases('Add an agent version (super-admin)', SUPER_ADMIN),
    body: createAgentVersionRequestSchema,
    response: { 201: agentVersionSchema, ...errors(400, 401, 403, 409) },
  };
  api.post('/api/agent-versions', { schema: create }, async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = request.body;
    const created = await createAgentVersion(ctx, body, `user:${user.userId}`);
    return reply.status(201).send(created);
  });

  const edit = {
    ...releases(
      'Edit, activate or deactivate a version, or change its rollout (super-admin)',
      SUPER_ADMIN,
    ),
    params: idParam,
    body: updateAgentVersionRequestSchema,
    response: { 200: agentVersionSchema, ...errors(400, 401, 403, 404, 409) },
  };
  api.patch('/api/agent-versions/:id', { schema: edit }, async (request) => {
    const user = await requireSuperAdmin(ctx, request);
    const { id } = request.params;
    const body = request.body;
    return editAgentVersion(ctx, id, body, `user:${user.userId}`);
  });

  const remove = {
    ...releases('Delete a version (super-admin); machines running it keep running', SUPER_ADMIN),
    params: idParam,
    response: { 204: noContent, ...errors(400, 401, 403, 404) },
  };
  api.delete('/api/agent-versions/:id', { schema: remove }, async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const { id } = request.params;
    await removeAgentVersion(ctx, id, `user:${user.userId}`);
    return reply.status(204).send(null);
  });

  const available = {
    ...releases(
      'What the metadata files of the downloads directory offer (super-admin)',
      SUPER_ADMIN,
    ),
    description:
      'Each file is marked imported or not; unreadable metadata files are listed ' +
      'under errors, naming the file, and never hide the others.',
    response: { 200: availableDownloadsResponseSchema, ...errors(401, 403) },
  };
  api.get('/api/agent-versions/available-downloads', { schema: available }, async (request) => {
    await requireSuperAdmin(ctx, request);
    return availableDownloads(ctx);
  });

  const importing = {
    ...releases(
      '"Importer depuis serveur": create the versions the metadata files offer (super-admin)',
      SUPER_ADMIN,
    ),
    body: importAgentVersionsRequestSchema,
    response: { 200: importAgentVersionsResponseSchema, ...errors(400, 401, 403) },
  };
  api.post('/api/agent-versions/import', { schema: importing }, async (request) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = request.body;
    return importDownloads(ctx, body, `user:${user.userId}`);
  });

  const pin = {
    ...releases('The version a client’s machines are held at (null: none)', BEARER),
    querystring: clientScope,
    response: { 200: versionPinResponseSchema, ...errors(400, 401, 404) },
  };
  api.get('/api/agent-versions/pin', { schema: pin }, async (request) => {
    const user = await requireUser(ctx, request);
    return readPin(ctx, await writeScope(ctx, user, request));
  });

  const hold = {
    ...releases(
      'Hold a client’s machines at a version: nothing newer is offered (administrators)',
      ADMIN,
    ),
    querystring: clientScope,
    body: versionPinRequestSchema,
    response: { 200: versionPinResponseSchema, ...errors(400, 401, 403, 404) },
  };
  api.put('/api/agent-versions/pin', { schema: hold }, async (request) => {
    const user = await requireAdmin(ctx, request);
    const clientId = await writeScope(ctx, user, request);
    const body = request.body;
    return writePin(ctx, clientId, body.version, `user:${user.userId}`);
  });

  const move = {
    ...releases('Move a machine to the stable or beta channel (administrators)', ADMIN),
    description: 'A machine moved to an older channel is never offered a lower version.',
    params: idParam,
    querystring: clientScope,
    body: machineChannelRequestSchema,
    response: { 204: noContent, ...errors(400, 401, 403, 404) },
  };
  api.put('/api/machines/:id/channel', { schema: move }, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const { id } = request.params;
    const body = request.body;
    await moveMachine(ctx, id, readScope(user, request), body.channel, `user:${user.userId}`);
    return reply.status(204).send(null);
  });

  const requirements = {
    ...releases('Change the OS requirements (super-admin)', SUPER_ADMIN),
    body: updateAgentRequirementsRequestSchema,
    response: { 200: agentRequirementsSchema, ...errors(400, 401, 403) },
  };
  api.put('/api/agent/requirements', { schema: requirements }, async (request) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = request.body;
    return writeRequirements(ctx, body, `user:${user.userId}`);
  });

  publicReleaseRoutes(app, ctx);
}

/** What installers read without signing in: the latest release and the OS requirements. */
function publicReleaseRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const latest = {
    tags: ['releases'],
    summary: 'The latest fully rolled-out active release of a channel, platform and architecture',
    description: 'Defaults: channel=stable, platform=windows, architecture=amd64. Public.',
    querystring: latestVersionQuerySchema,
    response: { 200: latestVersionResponseSchema, ...errors(400, 404) },
  };
  const route = { schema: latest, config: { fieldCodes: LATEST_FIELD_CODES } };
  api.get('/api/agent/latest-version', route, async (request) => {
    const target = request.query;
    const release = latestRelease(await listActiveReleases(ctx.db), target);
    if (!release) throw new AppError('no_release');
    const version = toAgentVersion(release);
    return {
      version: version.version,
      channel: version.channel,
      platform: version.platform,
      architecture: version.architecture,
      download_url: version.download_url,
      checksum_sha256: version.checksum_sha256,
      file_size_bytes: version.file_size_bytes,
      release_date: version.release_date,
    };
  });

  const requirements = {
    tags: ['releases'],
    summary: 'OS requirements the installers check (public)',
    response: { 200: agentRequirementsSchema },
  };
  api.get('/agent/requirements', { schema: requirements }, async () => readRequirements(ctx));
}

/** What every signed-in release route shares in the reference. */
function releases(summary: string, security: Security) {
  return { tags: ['releases'], summary, security };
}
