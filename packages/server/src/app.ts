import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { auditRoutes } from './audit/routes';
import { checkDeclaredAccess } from './auth/guard';
import { authRoutes } from './auth/routes';
import { clientRoutes } from './clients/routes';
import type { AppContext } from './context';
import { dashboardRoutes } from './dashboard/routes';
import { downloadRoutes } from './downloads/routes';
import { enrollmentRoutes } from './enrollment/routes';
import { installErrorHandler } from './http/error-handler';
import { describeRoutes, referenceDocument, serveReference } from './http/openapi';
import { installRateLimits } from './http/rate-limit';
import { enforceSchemas } from './http/validate';
import { linuxInstallerRoutes } from './installers/linux/routes';
import { powershellInstallerRoutes } from './installers/powershell/routes';
import { windowsInstallerRoutes } from './installers/windows/routes';
import { machineRoutes } from './machines/routes';
import { observeRequests } from './observability/hooks';
import { bindRequestContext, requestIdOf } from './observability/request-context';
import { healthRoutes, metricsRoute } from './observability/routes';
import { releaseRoutes } from './releases/routes';
import { settingsRoutes } from './settings/routes';
import { telemetryRoutes } from './telemetry/routes';
import { tokenRoutes } from './tokens/routes';
import { userRoutes } from './users/routes';

/** The dashboard and public API: JWT for people, `/api/public/*` for installers. */
export function buildPublicApp(ctx: AppContext): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'public' }) as FastifyBaseLogger,
    // Client addresses (rate limits, audit) come from X-Forwarded-For only behind our proxies.
    trustProxy: ctx.config.trustedProxies.length > 0 ? ctx.config.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    genReqId: requestIdOf,
  });
  bindRequestContext(app);
  installErrorHandler(app);
  observeRequests(app, ctx.metrics, 'public');
  describeRoutes(app);
  checkDeclaredAccess(app, ctx);
  serveReference(app, () => referenceDocument(ctx, app));
  const limiter = installRateLimits(app, ctx.config.rateLimit, ctx.config.redisUrl);
  // Routes live in a scope registered after the reference plugin, so that it sees every one.
  app.register(async (scope) => {
    healthRoutes(scope, ctx);
    const metrics = ctx.config.metrics;
    if (metrics.token !== undefined && metrics.port === undefined) {
      metricsRoute(scope, ctx.metrics, metrics.token);
    }
    authRoutes(scope, ctx, limiter);
    enrollmentRoutes(scope, ctx, limiter);
    machineRoutes(scope, ctx);
    telemetryRoutes(scope, ctx);
    clientRoutes(scope, ctx);
    tokenRoutes(scope, ctx);
    auditRoutes(scope, ctx);
    userRoutes(scope, ctx);
    settingsRoutes(scope, ctx);
    releaseRoutes(scope, ctx);
    downloadRoutes(scope, ctx);
    linuxInstallerRoutes(scope, ctx);
    powershellInstallerRoutes(scope, ctx);
    windowsInstallerRoutes(scope, ctx);
    dashboardRoutes(scope, ctx);
  });
  return app;
}

/** The separate metrics listener, used when `OPTRALIS_METRICS_PORT` is set. */
export function buildMetricsApp(ctx: AppContext): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'metrics' }) as FastifyBaseLogger,
    genReqId: requestIdOf,
  });
  bindRequestContext(app);
  installErrorHandler(app);
  enforceSchemas(app);
  metricsRoute(app, ctx.metrics, ctx.config.metrics.token);
  return app;
}
