import type { FastifyInstance } from 'fastify';
import { requireUser, scopeOf } from '../auth/guard';
import type { AppContext } from '../context';
import { listMachines, toPublicMachine } from './store';

/** A machine counts as online when it sent a heartbeat within this window. */
export const ONLINE_WINDOW_MS = 60_000;

export function machineRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/machines', async (request) => {
    const user = await requireUser(ctx, request);
    const rows = await listMachines(ctx.db, scopeOf(user));
    const now = ctx.clock();
    return { machines: rows.map((row) => toPublicMachine(row, now, ONLINE_WINDOW_MS)) };
  });
}
