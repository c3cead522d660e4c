import { bootstrapRequestSchema, bootstrapResponseSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import type { Limiter } from '../http/rate-limit';
import { errors } from '../http/route-schema';
import { inputError, issueOfValidation } from '../http/validate';
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

  const schema = {
    tags: ['enrollment'],
    summary: 'Trade an install token for a machine certificate',
    description:
      'With a CSR (key made on the machine) the server signs it and returns no private key; ' +
      'without one it makes the key and returns it once. A refused request spends no token use.',
    body: bootstrapRequestSchema,
    response: { 200: bootstrapResponseSchema, ...errors(400, 403, 409, 413, 429) },
  };
  // A refused body is still rate-limited and audited on its token: the handler sees the refusal.
  const route = { bodyLimit: 64 * 1024, schema, attachValidation: true };
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post('/api/public/bootstrap', route, async (request, reply) => {
    const meta = { sourceIp: request.ip };
    await perIp(request, reply, request.ip);
    const raw = (request.body ?? {}) as { token?: unknown };
    if (typeof raw.token === 'string' && raw.token.length <= 256) {
      // The key holds a hash: rate-limit counters (in Redis too) never hold a token.
      await perToken(request, reply, hashToken(raw.token));
    }

    if (request.validationError) {
      // The channel an installer names has the code the catalogue gives it, as on downloads.
      const error = inputError(issueOfValidation(request.validationError.validation), {
        channel: 'invalid_channel',
      });
      return refuseInvalidRequest(ctx, raw.token, error, meta);
    }
    return bootstrap(ctx, request.body, meta);
  });
}
