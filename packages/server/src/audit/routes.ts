import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readScope, requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { listAudit, toPublicAuditEvent } from './store';

const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    client_id: z.string().max(64).optional(),
  })
  .strict();

export function auditRoutes(app: FastifyInstance, ctx: AppContext): void {
  /** The newest events first; a client's users see their client's events only. */
  app.get('/api/audit', async (request) => {
    const user = await requireUser(ctx, request);
    const query = parseInput(auditQuery, request.query);
    const rows = await listAudit(ctx.db, readScope(user, request), query.limit);
    return { events: rows.map(toPublicAuditEvent) };
  });
}
