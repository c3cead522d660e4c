import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit/store';
import { readScope, requireAdmin, requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';
import { findMachine, listMachines, revokeMachine, toPublicMachine } from './store';

/** A machine counts as online when it sent a heartbeat within this window. */
export const ONLINE_WINDOW_MS = 60_000;

const idParams = z.object({ id: z.string().min(1).max(64) });

export function machineRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/machines', async (request) => {
    const user = await requireUser(ctx, request);
    const rows = await listMachines(ctx.db, readScope(user, request));
    const now = ctx.clock();
    return { machines: rows.map((row) => toPublicMachine(row, now, ONLINE_WINDOW_MS)) };
  });

  /** Revokes a machine: its certificate is refused from its next request. Idempotent. */
  app.delete('/api/machines/:id', async (request, reply) => {
    const user = await requireAdmin(ctx, request);
    const { id } = parseInput(idParams, request.params);
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
    return reply.status(204).send();
  });
}
