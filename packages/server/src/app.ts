import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authRoutes } from './auth/routes';
import type { AppContext } from './context';
import { enrollmentRoutes } from './enrollment/routes';
import { installErrorHandler } from './http/error-handler';
import { machineRoutes } from './machines/routes';

/** The dashboard and public API: JWT for people, `/api/public/*` for installers. */
export function buildPublicApp(ctx: AppContext): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'public' }) as FastifyBaseLogger,
    trustProxy: false,
    bodyLimit: 1024 * 1024,
  });
  installErrorHandler(app);
  authRoutes(app, ctx);
  enrollmentRoutes(app, ctx);
  machineRoutes(app, ctx);
  return app;
}
