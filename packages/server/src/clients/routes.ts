import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireSuperAdmin } from '../auth/guard';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { createClientWithAdmin } from './service';
import { listClients } from './store';

const newClientSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters'),
  admin_email: z.string().max(320).email('must be an email address'),
});

/** Tenants, managed by super-admins only. */
export function clientRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/admin/clients', async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = parseInput(newClientSchema, request.body);
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
