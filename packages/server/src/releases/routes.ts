import {
  createAgentVersionRequestSchema,
  importAgentVersionsRequestSchema,
  machineChannelRequestSchema,
  updateAgentRequirementsRequestSchema,
  updateAgentVersionRequestSchema,
  versionPinRequestSchema,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import { readScope, requireAdmin, requireSuperAdmin, requireUser, writeScope } from '../auth/guard';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';
import { latestRelease } from './offers';
import { moveMachine, readPin, readRequirements, writePin, writeRequirements } from './policy';
import { idParams, listQuery, parseLatestQuery } from './schema';
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
  app.get('/api/agent-versions', async (request) => {
    const user = await requireUser(ctx, request);
    const query = parseInput(listQuery, request.query);
    const scope = readScope(user, request);
    return { versions: await listVersionsWithStatistics(ctx, scope, query.platform) };
  });

  app.post('/api/agent-versions', async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = parseInput(createAgentVersionRequestSchema, request.body);
    const created = await createAgentVersion(ctx, body, `user:${user.userId}`);
    return reply.status(201).send(created);
  });

  app.patch('/api/agent-versions/:id', async (request) => {
    const user = await requireSuperAdmin(ctx, request);
    const { id } = parseInput(idParams, request.params);
    const body = parseInput(updateAgentVersionRequestSchema, request.body);
    return editAgentVersion(ctx, id, body, `user:${user.userId}`);
  });

  app.delete('/api/agent-versions/:id', async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const { id } = parseInput(idParams, request.params);
    await removeAgentVersion(ctx, id, `user:${user.userId}`);
    return reply.status(204).send();
  });

  app.get('/api/agent-versions/available-downloads', async (request) => {
    await requireSuperAdmin(ctx, request);
    return availableDownloads(ctx);
  });

  app.post('/api/agent-versions/import', async (request) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = parseInput(importAgentVersionsRequestSchema, request.body);
    return importDownloads(ctx, body, `user:${user.userId}`);
  });

  app.get('/api/agent-versions/pin', async (request) => {
    const user = await requireUser(ctx, request);
    return readPin(ctx, await writeScope(ctx, user, request));
  });

  app.put('/api/agent-versions/pin', async (request) => {
    const user = await requireAdmin(ctx, request);
    const clientId = await writeScope(ctx, user, request);
    const body = parseInput(versionPinRequestSchema, request.body);
    return writePin(ctx, clientId, body.version, `user:${user.userId}`);
  });

  app.put('/api/machines/:id/channel', async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const { id } = parseInput(idParams, request.params);
    const body = parseInput(machineChannelRequestSchema, request.body);
    await moveMachine(ctx, id, readScope(user, request), body.channel, `user:${user.userId}`);
    return reply.status(204).send();
  });

  app.put('/api/agent/requirements', async (request) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = parseInput(updateAgentRequirementsRequestSchema, request.body);
    return writeRequirements(ctx, body, `user:${user.userId}`);
  });

  publicReleaseRoutes(app, ctx);
}

/** What installers read without signing in: the latest release and the OS requirements. */
function publicReleaseRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/agent/latest-version', async (request) => {
    const target = parseLatestQuery(request.query);
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

  app.get('/agent/requirements', async () => readRequirements(ctx));
}
