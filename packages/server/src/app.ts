import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { auditRoutes } from './audit/routes';
import { authRoutes } from './auth/routes';
import { clientRoutes } from './clients/routes';
import type { AppContext } from './context';
import { enrollmentRoutes } from './enrollment/routes';
import { installErrorHandler } from './http/error-handler';
import { installRateLimits } from './http/rate-limit';
import { machineRoutes } from './machines/routes';
import { observeRequests } from './observability/hooks';
import { bindRequestContext } from './observability/request-context';
import { healthRoutes, metricsRoute } from './observability/routes';
import { tokenRoutes } from './tokens/routes';
import { userRoutes } from './users/routes';

/** The dashboard and public API: JWT for people, `/api/public/*` for installers. */
export function buildPublicApp(ctx: AppContext): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'public' }) as FastifyBaseLogger,
    // Client addresses (rate limits, audit) come from X-Forwarded-For only behind our proxies.
    trustProxy: ctx.config.trustedProxies.length > 0 ? ctx.config.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    genReqId: () => randomUUID(),
  });
  bindRequestContext(app);
  installErrorHandler(app);
  observeRequests(app, ctx.metrics, 'public');
  healthRoutes(app, ctx);
  const metrics = ctx.config.metrics;
  if (metrics.token !== undefined && metrics.port === undefined) {
    metricsRoute(app, ctx.metrics, metrics.token);
  }
  const limiter = installRateLimits(app, ctx.config.rateLimit, ctx.config.redisUrl);
  authRoutes(app, ctx, limiter);
  enrollmentRoutes(app, ctx, limiter);
  machineRoutes(app, ctx);
  clientRoutes(app, ctx);
  tokenRoutes(app, ctx);
  auditRoutes(app, ctx);
  userRoutes(app, ctx);
  return app;
}

/** The separate metrics listener, used when `OPTRALIS_METRICS_PORT` is set. */
export function buildMetricsApp(ctx: AppContext): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'metrics' }) as FastifyBaseLogger,
    genReqId: () => randomUUID(),
  });
  installErrorHandler(app);
  metricsRoute(app, ctx.metrics, ctx.config.metrics.token);
  return app;
}
