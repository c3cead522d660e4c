import { type BootstrapRequest, bootstrapRequestSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { isAppError } from '../errors';
import type { Limiter } from '../http/rate-limit';
import { parseInput } from '../http/validate';
import { hashToken } from '../tokens/secret';
import { refuseInvalidRequest } from './refusal';
import { bootstrap } from './service';

export function enrollmentRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  limiter: (bucket: string, max: number) => Limiter,
): void {
  const perIp = limiter('bootstrap-ip', ctx.config.rateLimit.bootstrapPerIp);
  const perToken = limiter('bootstrap-token', ctx.config.rateLimit.bootstrapPerToken);

  app.post('/api/public/bootstrap', { bodyLimit: 64 * 1024 }, async (request, reply) => {
    const meta = { sourceIp: request.ip };
    await perIp(request, reply, request.ip);
    const raw = (request.body ?? {}) as { token?: unknown };
    if (typeof raw.token === 'string' && raw.token.length <= 256) {
      // The key holds a hash: rate-limit counters (in Redis too) never hold a token.
      await perToken(request, reply, hashToken(raw.token));
    }

    let body: BootstrapRequest;
    try {
      body = parseInput(bootstrapRequestSchema, request.body);
    } catch (error) {
      if (isAppError(error)) return refuseInvalidRequest(ctx, raw.token, error, meta);
      throw error;
    }
    return bootstrap(ctx, body, meta);
  });
}
