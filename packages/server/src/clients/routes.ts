import {
  createClientRequestSchema,
  createClientResponseSchema,
  listClientsResponseSchema,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireSuperAdmin } from '../auth/guard';
import type { AppContext } from '../context';
import { errors, SUPER_ADMIN } from '../http/route-schema';
import { createClientWithAdmin } from './service';
import { listClients } from './store';

/** Tenants, managed by super-admins only. */
export function clientRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const create = {
    tags: ['clients'],
    summary: 'Create a client and its first administrator (super-admin)',
    description: 'The administrator’s password is in this answer only.',
    security: SUPER_ADMIN,
    body: createClientRequestSchema,
    response: { 201: createClientResponseSchema, ...errors(400, 401, 403, 409) },
  };
  api.post('/api/admin/clients', { schema: create }, async (request, reply) => {
    const user = await requireSuperAdmin(ctx, request);
    const body = request.body;
    const created = await createClientWithAdmin(ctx, {
      name: body.name,
      adminEmail: body.admin_email,
      actor: `user:${user.userId}`,
    });
    return reply.status(201).send(created);
  });

  const list = {
    tags: ['clients'],
    summary: 'List clients (super-admin)',
    security: SUPER_ADMIN,
    response: { 200: listClientsResponseSchema, ...errors(401, 403) },
  };
  api.get('/api/admin/clients', { schema: list }, async (request) => {
    await requireSuperAdmin(ctx, request);
    return { clients: await listClients(ctx.db) };
  });
}
