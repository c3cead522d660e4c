import { machineListSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { recordAudit } from '../audit/store';
import { readScope, requireAdmin, requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { ADMIN, BEARER, clientScope, errors, idParam, noContent } from '../http/route-schema';
import { findMachine, listMachines, revokeMachine, toPublicMachine } from './store';

/** A machine counts as online when it sent a heartbeat within this window. */
export const ONLINE_WINDOW_MS = 60_000;

export function machineRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const list = {
    tags: ['machines'],
    summary: 'List the machines of the caller’s client (all clients for a super-admin)',
    security: BEARER,
    querystring: clientScope,
    response: { 200: machineListSchema, ...errors(400, 401) },
  };
  api.get('/api/machines', { schema: list }, async (request) => {
    const user = await requireUser(ctx, request);
    const rows = await listMachines(ctx.db, readScope(user, request));
    const now = ctx.clock();
    return { machines: rows.map((row) => toPublicMachine(row, now, ONLINE_WINDOW_MS)) };
  });

  /** Revokes a machine: its certificate is refused from its next request. Idempotent. */
  const revoke = {
    tags: ['machines'],
    summary: 'Revoke a machine: its certificate stops working at its next request',
    security: ADMIN,
    params: idParam,
    querystring: clientScope,
    response: { 204: noContent, ...errors(400, 401, 403, 404) },
  };
  api.delete('/api/machines/:id', { schema: revoke }, async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const { id } = request.params;
    const machine = await findMachine(ctx.db, id, readScope(user, request));
    if (!machine) throw new AppError('not_found');
    const now = ctx.clock();
    if (await revokeMachine(ctx.db, id, machine.client_id, now)) {
      await recordAudit(
        ctx.db,
        {
          clientId: machine.client_id,
          actor: `user:${user.userId}`,
          action: 'machine.revoked',
          subject: id,
        },
        now,
      );
    }
    return reply.status(204).send(null);
  });
}
