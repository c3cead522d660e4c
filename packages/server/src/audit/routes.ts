import { listAuditResponseSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readScope, requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { BEARER, errors } from '../http/route-schema';
import { listAudit, toPublicAuditEvent } from './store';

const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    client_id: z.string().max(64).optional(),
  })
  .strict();

export function auditRoutes(app: FastifyInstance, ctx: AppContext): void {
  /** The newest events first; a client's users see their client's events only. */
  const schema = {
    tags: ['audit'],
    summary: 'Audit events, newest first',
    security: BEARER,
    querystring: auditQuery,
    response: { 200: listAuditResponseSchema, ...errors(400, 401, 404) },
  };
  app.withTypeProvider<ZodTypeProvider>().get('/api/audit', { schema }, async (request) => {
    const user = await requireUser(ctx, request);
    const query = request.query;
    const rows = await listAudit(ctx.db, readScope(user, request), query.limit);
    return { events: rows.map(toPublicAuditEvent) };
  });
}
