import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildAgentApp } from './agent-api/app';
import { buildMetricsApp, buildPublicApp } from './app';
import { generatePassword } from './auth/passwords';
import { countUsers, createUserIfAbsent } from './auth/store';
import { caExists, initCa, issueServerCertificate, loadCa } from './ca';
import { loopbackUrl, type ServerConfig } from './config';
import type { AppContext } from './context';
import { openDatabase } from './db/database';
import { type Clock, systemClock } from './ids';
import { createLogger } from './logger';
import { ONLINE_WINDOW_MS } from './machines/routes';
import { countMachinesSeenSince } from './machines/store';
import { createMetrics } from './observability/metrics';
import { putSettingIfAbsent } from './settings/store';

export interface RunningServer {
  ctx: AppContext;
  publicApp: FastifyInstance;
  agentApp: FastifyInstance;
  publicUrl: string;
  agentApiUrl: string;
  /** Set when metrics have their own listener. */
  metricsUrl?: string;
  /** Set on the very first start only: the super-admin made then, with its one-time password. */
  initialAdmin?: { email: string; password: string | undefined };
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Logger;
}

/** Opens the store and the CA (creating them on first start) and starts both listeners. */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger({ level: config.logLevel, format: config.logFormat });

  if (!caExists(config.caDir)) {
    const created = await initCa(config.caDir, { now: clock() });
    log.info(
      {
        caDir: config.caDir,
        notAfter: created.status === 'created' ? created.notAfter : undefined,
      },
      'created a new certificate authority',
    );
  }
  const ca = await loadCa(config.caDir);
  // Builds land here; an empty directory is a valid start (readiness checks it is readable).
  fs.mkdirSync(config.downloadsDir, { recursive: true });
  const { db, dialect, location } = await openDatabase(config, (err) =>
    log.warn({ err }, 'database connection lost; it will be replaced'),
  );
  log.info({ dialect, location }, 'database ready');

  const jwtSecret = config.jwtSecret
    ? Buffer.from(config.jwtSecret, 'utf8')
    : Buffer.from(
        await putSettingIfAbsent(db, 'jwt_secret', randomBytes(32).toString('base64')),
        'base64',
      );

  const ctx: AppContext = {
    config,
    db,
    dialect,
    ca,
    clock,
    log,
    jwtSecret,
    metrics: createMetrics(() =>
      countMachinesSeenSince(db, new Date(clock().getTime() - ONLINE_WINDOW_MS)),
    ),
    urls: { publicUrl: config.publicUrl ?? '', agentApiUrl: config.agentApiUrl ?? '' },
  };
  const initialAdmin = await ensureFirstAdmin(ctx);

  const agentHosts = [
    config.agentApiUrl ? new URL(config.agentApiUrl).hostname : config.agentHost,
    'localhost',
    '127.0.0.1',
    '::1',
  ].filter((host) => host !== '0.0.0.0' && host !== '::');
  const serverTls = await issueServerCertificate(ca, agentHosts, {
    now: clock(),
    lifetimeDays: 365,
  });

  const publicApp = buildPublicApp(ctx);
  const agentApp = buildAgentApp(ctx, {
    certificatePem: serverTls.certificatePem,
    keyPem: serverTls.keyPem,
    trustedCaPems: [ca.certificatePem],
  });
  await publicApp.listen({ host: config.httpHost, port: config.httpPort });
  await agentApp.listen({ host: config.agentHost, port: config.agentPort });
  const metricsApp = config.metrics.port === undefined ? undefined : buildMetricsApp(ctx);
  await metricsApp?.listen({ host: config.metrics.host, port: config.metrics.port });

  const publicPort = (publicApp.server.address() as AddressInfo).port;
  const agentPort = (agentApp.server.address() as AddressInfo).port;
  ctx.urls.publicUrl = config.publicUrl ?? loopbackUrl('http', config.httpHost, publicPort);
  ctx.urls.agentApiUrl = config.agentApiUrl ?? loopbackUrl('https', config.agentHost, agentPort);
  log.info({ publicUrl: ctx.urls.publicUrl, agentApiUrl: ctx.urls.agentApiUrl }, 'listening');

  return {
    ctx,
    publicApp,
    agentApp,
    publicUrl: ctx.urls.publicUrl,
    agentApiUrl: ctx.urls.agentApiUrl,
    ...(metricsApp
      ? {
          metricsUrl: loopbackUrl(
            'http',
            config.metrics.host,
            (metricsApp.server.address() as AddressInfo).port,
          ),
        }
      : {}),
    ...(initialAdmin ? { initialAdmin } : {}),
    async close() {
      await Promise.allSettled([publicApp.close(), agentApp.close(), metricsApp?.close()]);
      await db.destroy();
    },
  };
}

/** With no user at all, makes the super-admin; its password is returned to be shown once. */
async function ensureFirstAdmin(ctx: AppContext) {
  if ((await countUsers(ctx.db)) > 0) return undefined;
  const password = ctx.config.adminPassword ?? generatePassword();
  const email = ctx.config.adminEmail;
  const input = { email, password, role: 'super_admin' as const, clientId: null };
  if (!(await createUserIfAbsent(ctx.db, input, ctx.clock()))) return undefined;
  ctx.log.info({ email }, 'created the first super-admin');
  return { email, password: ctx.config.adminPassword ? undefined : password };
}
