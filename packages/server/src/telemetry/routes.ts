import {
  machineInventoryResponseSchema,
  machineMetricsQuerySchema,
  machineMetricsResponseSchema,
} from '@optralis/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { readScope, requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { BEARER, clientScope, errors, idParam } from '../http/route-schema';
import { findMachine } from '../machines/store';
import { findInventory } from './inventory-store';
import { listSamples } from './metrics-store';

/** What agents reported, for the dashboard: the machine must be one the reader may see. */
export function telemetryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  async function visibleMachine(request: FastifyRequest, id: string) {
    const user = await requireUser(ctx, request);
    const machine = await findMachine(ctx.db, id, readScope(user, request));
    if (!machine) throw new AppError('not_found');
    return machine;
  }

  const inventory = {
    tags: ['machines'],
    summary: 'The last inventory a machine sent (OS, CPU, memory, disks, network interfaces)',
    security: BEARER,
    params: idParam,
    querystring: clientScope,
    response: { 200: machineInventoryResponseSchema, ...errors(400, 401, 404) },
  };
  api.get('/api/machines/:id/inventory', { schema: inventory }, async (request) => {
    const machine = await visibleMachine(request, request.params.id);
    return { inventory: await findInventory(ctx.db, machine.id) };
  });

  const metrics = {
    tags: ['machines'],
    summary: 'Metric samples of a machine, oldest first (the newest 360 by default)',
    security: BEARER,
    params: idParam,
    querystring: clientScope.extend(machineMetricsQuerySchema.shape),
    response: { 200: machineMetricsResponseSchema, ...errors(400, 401, 404) },
  };
  api.get('/api/machines/:id/metrics', { schema: metrics }, async (request) => {
    const machine = await visibleMachine(request, request.params.id);
    const query = request.query;
    const samples = await listSamples(ctx.db, machine.id, {
      since: query.since,
      limit: query.limit ?? 360,
    });
    return { samples };
  });
}
