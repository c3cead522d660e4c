import { bootstrapRequestSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { bootstrap } from './service';

export function enrollmentRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/public/bootstrap', { bodyLimit: 64 * 1024 }, async (request) => {
    const body = parseInput(bootstrapRequestSchema, request.body);
    return bootstrap(ctx, body, { sourceIp: request.ip });
  });
}
