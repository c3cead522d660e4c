import {
  activeWindowsTokenResponseSchema,
  createdInstallTokenSchema,
  createInstallTokenRequestSchema,
  listInstallTokensResponseSchema,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readScope, requireAdmin, requireUser, writeScope } from '../auth/guard';
import type { AppContext } from '../context';
import { ADMIN, BEARER, clientScope, errors, idParam, noContent } from '../http/route-schema';
import { createInstallToken, revokeInstallToken, toListedToken } from './service';
import { findActiveWindowsToken, listTokens } from './store';

const listQuery = z
  .object({
    active: z.enum(['true', 'false', '1', '0']).optional(),
    client_id: z.string().max(64).optional(),
  })
  .strict();

/** `/api/install-tokens`: command-line tokens and the mass-deployment progress. */
export function tokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const create = {
    tags: ['install tokens'],
    summary: 'Create a command-line install token; its value is shown in this answer only',
    security: ADMIN,
    querystring: clientScope,
    body: createInstallTokenRequestSchema,
    response: { 201: createdInstallTokenSchema, ...errors(400, 401, 403, 404) },
  };
  api.post('/api/install-tokens', { schema: create }, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const clientId = await writeScope(ctx, user, request);
    const body = request.body;
    const made = await createInstallToken(ctx, {
      clientId,
      createdBy: `user:${user.userId}`,
      kind: 'command',
      platform: body.platform,
      ttlMinutes: body.ttl_minutes,
      maxUsage: body.max_usage,
    });
    const { row } = made;
    return reply.status(201).send({
      id: row.id,
      token: made.value,
      expires_at: row.expires_at,
      max_usage: row.max_usage,
      usage_count: row.usage_count,
      platform: row.platform,
      kind: row.kind,
    });
  });

  const list = {
    tags: ['install tokens'],
    summary: 'List install tokens, newest first (values are never shown again)',
    security: BEARER,
    querystring: listQuery,
    response: { 200: listInstallTokensResponseSchema, ...errors(400, 401, 404) },
  };
  api.get('/api/install-tokens', { schema: list }, async (request) => {
    const user = await requireUser(ctx, request);
    const query = request.query;
    const now = ctx.clock();
    const onlyActive = query.active === 'true' || query.active === '1';
    const rows = await listTokens(ctx.db, readScope(user, request), onlyActive ? { now } : {});
    return { tokens: rows.map((row) => toListedToken(row, now)) };
  });

  const active = {
    tags: ['install tokens'],
    summary: 'The active Windows mass-deployment token, for the "X/N machines" progress',
    security: BEARER,
    querystring: clientScope,
    response: { 200: activeWindowsTokenResponseSchema, ...errors(400, 401, 404) },
  };
  api.get('/api/install-tokens/windows/active', { schema: active }, async (request) => {
    const user = await requireUser(ctx, request);
    const clientId = await writeScope(ctx, user, request);
    const row = await findActiveWindowsToken(ctx.db, clientId, ctx.clock());
    if (!row) return { token: null };
    return {
      token: {
        id: row.id,
        usage_count: row.usage_count,
        max_usage: row.max_usage,
        expires_at: row.expires_at,
      },
    };
  });

  const revoke = {
    tags: ['install tokens'],
    summary: 'Revoke a token: no new installs; installed machines keep working',
    security: ADMIN,
    params: idParam,
    querystring: clientScope,
    response: { 204: noContent, ...errors(400, 401, 403, 404) },
  };
  api.delete('/api/install-tokens/:id', { schema: revoke }, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const { id } = request.params;
    await revokeInstallToken(ctx, id, readScope(user, request), `user:${user.userId}`);
    return reply.status(204).send(null);
  });
}
