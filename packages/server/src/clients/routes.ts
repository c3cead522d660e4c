import { createClientRequestSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import { requireSuperAdmin } from '../auth/guard';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { createClientWithAdmin } from './service';
import { listClients } from './store';

/** Tenants, managed by super-admins only. */
export function clientRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/admin/clients', async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = parseInput(createClientRequestSchema, request.body);
    const created = await createClientWithAdmin(ctx, {
      name: body.name,
      adminEmail: body.admin_email,
      actor: `user:${user.userId}`,
    });
    return reply.status(201).send(created);
  });

  app.get('/api/admin/clients', async (request) => {
    await requireSuperAdmin(ctx, request);
    return { clients: await listClients(ctx.db) };
  });
}
