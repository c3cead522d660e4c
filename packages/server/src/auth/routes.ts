import { loginRequestSchema, loginResponseSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import type { Limiter } from '../http/rate-limit';
import { errors } from '../http/route-schema';
import { signSession } from './jwt';
import { verifyPassword } from './passwords';
import { findUserByEmail } from './store';

/** A fixed hash to compare against when the email is unknown, so timing does not reveal it. */
const UNKNOWN_USER_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function authRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  limiter: (bucket: string, max: number) => Limiter,
): void {
  // Per source address: guessing passwords, or probing which emails exist, costs time.
  const perIp = limiter('login-ip', ctx.config.rateLimit.loginPerIp);

  const schema = {
    tags: ['auth'],
    summary: 'Sign in and get a session token (rate-limited)',
    body: loginRequestSchema,
    response: { 200: loginResponseSchema, ...errors(400, 401, 429) },
  };
  app
    .withTypeProvider<ZodTypeProvider>()
    .post('/api/auth/login', { schema }, async (request, reply) => {
      await perIp(request, reply, request.ip);
      const body = request.body;
      const user = await findUserByEmail(ctx.db, body.email);
      const ok = await verifyPassword(body.password, user?.password_hash ?? UNKNOWN_USER_HASH);
      if (!user || !ok) throw new AppError('login_failed');
      const token = await signSession(
        { userId: user.id, clientId: user.client_id, role: user.role },
        ctx.jwtSecret,
        ctx.clock(),
      );
      return {
        token,
        user: { id: user.id, email: user.email, role: user.role, client_id: user.client_id },
      };
    });
}
