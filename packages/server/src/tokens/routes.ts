import { createInstallTokenRequestSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readScope, requireAdmin, requireUser, writeScope } from '../auth/guard';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { createInstallToken, revokeInstallToken, toListedToken } from './service';
import { findActiveWindowsToken, listTokens } from './store';

const listQuery = z
  .object({
    active: z.enum(['true', 'false', '1', '0']).optional(),
    client_id: z.string().max(64).optional(),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).max(64) });

/** `/api/install-tokens`: command-line tokens and the mass-deployment progress. */
export function tokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/install-tokens', async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const clientId = await writeScope(ctx, user, request);
    const body = parseInput(createInstallTokenRequestSchema, request.body);
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

  app.get('/api/install-tokens', async (request) => {
    const user = await requireUser(ctx, request);
    const query = parseInput(listQuery, request.query);
    const now = ctx.clock();
    const onlyActive = query.active === 'true' || query.active === '1';
    const rows = await listTokens(ctx.db, readScope(user, request), onlyActive ? { now } : {});
    return { tokens: rows.map((row) => toListedToken(row, now)) };
  });

  app.get('/api/install-tokens/windows/active', async (request) => {
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

  app.delete('/api/install-tokens/:id', async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const { id } = parseInput(idParams, request.params);
    await revokeInstallToken(ctx, id, readScope(user, request), `user:${user.userId}`);
    return reply.status(204).send();
  });
}
