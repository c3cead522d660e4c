import { machineMetricsQuerySchema } from '@optralis/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readScope, requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';
import { findMachine } from '../machines/store';
import { findInventory } from './inventory-store';
import { listSamples } from './metrics-store';

const idParams = z.object({ id: z.string().min(1).max(64) });

/** What agents reported, for the dashboard: the machine must be one the reader may see. */
export function telemetryRoutes(app: FastifyInstance, ctx: AppContext): void {
  async function visibleMachine(request: FastifyRequest) {
    const user = await requireUser(ctx, request);
    const { id } = parseInput(idParams, request.params);
    const machine = await findMachine(ctx.db, id, readScope(user, request));
    if (!machine) throw new AppError('not_found');
    return machine;
  }

  app.get('/api/machines/:id/inventory', async (request) => {
    const machine = await visibleMachine(request);
    return { inventory: await findInventory(ctx.db, machine.id) };
  });

  app.get('/api/machines/:id/metrics', async (request) => {
    const machine = await visibleMachine(request);
    const query = parseInput(machineMetricsQuerySchema, request.query);
    const samples = await listSamples(ctx.db, machine.id, {
      since: query.since,
      limit: query.limit ?? 360,
    });
    return { samples };
  });
}
