import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildAgentApp } from './agent-api/app';
import { closeHeartbeatBuffer } from './agent-api/heartbeat-buffer';
import { buildMetricsApp, buildPublicApp } from './app';
import { generatePassword } from './auth/passwords';
import { countUsers, createUserIfAbsent } from './auth/store';
import {
  type CaTrust,
  caExists,
  initCa,
  issueServerCertificate,
  listenerIssuer,
  loadCaTrust,
} from './ca';
import { CA_BUNDLE_FILE, trustedCaPems, writeProxyTrust } from './ca/authority';
import { loopbackUrl, type ServerConfig } from './config';
import type { AppContext } from './context';
import { openDatabase } from './db/database';
import { linkAgentApp } from './http/openapi';
import { type Clock, systemClock } from './ids';
import { createLogger } from './logger';
import { ONLINE_WINDOW_MS } from './machines/routes';
import { countMachinesSeenSince } from './machines/store';
import { createMetrics } from './observability/metrics';
import { openReleaseKey } from './releases/signing';
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
  const trust = await loadCaTrust(config.caDir);
  // A CA directory made before the proxy's one-file-per-CA copies existed gets them now.
  if (writeProxyTrust(config.caDir, trustedCaPems(config.caDir))) {
    log.info({ caDir: config.caDir }, 'wrote the proxy trust files');
  }
  const releaseKey = openReleaseKey(config.releaseKeyDir, log);
  const ca = trust.active;
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
    caTrust: trust,
    clock,
    log,
    jwtSecret,
    releaseKey,
    metrics: createMetrics({
      countActiveMachines: () =>
        countMachinesSeenSince(db, new Date(clock().getTime() - ONLINE_WINDOW_MS)),
      // Read through ctx: a CA rotation replaces ctx.ca without a restart.
      caNotAfter: () => ctx.ca.certificate.notAfter,
    }),
    urls: { publicUrl: config.publicUrl ?? '', agentApiUrl: config.agentApiUrl ?? '' },
  };
  const initialAdmin = await ensureFirstAdmin(ctx);

  const agentHosts = agentListenerHosts(config);
  const serverTls = await listenerTls(trust, agentHosts, clock());

  const publicApp = buildPublicApp(ctx);
  const agentApp = buildAgentApp(ctx, serverTls);
  linkAgentApp(ctx, agentApp);
  await publicApp.listen({ host: config.httpHost, port: config.httpPort });
  await agentApp.listen({ host: config.agentHost, port: config.agentPort });
  const metricsApp = config.metrics.port === undefined ? undefined : buildMetricsApp(ctx);
  await metricsApp?.listen({ host: config.metrics.host, port: config.metrics.port });

  const publicPort = (publicApp.server.address() as AddressInfo).port;
  const agentPort = (agentApp.server.address() as AddressInfo).port;
  ctx.urls.publicUrl = config.publicUrl ?? loopbackUrl('http', config.httpHost, publicPort);
  const agentScheme = config.agentTls === 'proxy' ? 'http' : 'https';
  ctx.urls.agentApiUrl =
    config.agentApiUrl ?? loopbackUrl(agentScheme, config.agentHost, agentPort);
  log.info({ publicUrl: ctx.urls.publicUrl, agentApiUrl: ctx.urls.agentApiUrl }, 'listening');
  const stopWatching = watchCaTrust(ctx, agentApp, agentHosts);

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
      stopWatching();
      await Promise.allSettled([publicApp.close(), agentApp.close(), metricsApp?.close()]);
      // Heartbeats accepted but not yet written go to the store before it closes.
      await closeHeartbeatBuffer(ctx).catch((error: unknown) =>
        log.error({ err: error }, 'heartbeats received before the shutdown were not written'),
      );
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

function agentListenerHosts(config: ServerConfig): string[] {
  return [
    config.agentApiUrl ? new URL(config.agentApiUrl).hostname : config.agentHost,
    'localhost',
    '127.0.0.1',
    '::1',
  ].filter((host) => host !== '0.0.0.0' && host !== '::');
}

/** The agent listener's certificate and the CAs whose machine certificates it accepts. */
async function listenerTls(trust: CaTrust, hosts: string[], now: Date) {
  const issued = await issueServerCertificate(listenerIssuer(trust), hosts, {
    now,
    lifetimeDays: 365,
  });
  return {
    certificatePem: issued.certificatePem,
    keyPem: issued.keyPem,
    trustedCaPems: trust.trusted.map((certificate) => certificate.toString('pem')),
  };
}

/** How often the CA directory is looked at for a rotation made by `optralis ca rotate|retire`. */
const CA_WATCH_MS = 5_000;

/**
 * Picks up a CA rotation or retirement without a restart: when the trust bundle changes, the
 * CA is reloaded and the agent listener gets a new certificate and trust list for new
 * connections. Every replica sharing the CA directory does the same on its own.
 */
function watchCaTrust(ctx: AppContext, agentApp: FastifyInstance, hosts: string[]): () => void {
  const bundle = path.join(ctx.config.caDir, CA_BUNDLE_FILE);
  const stamp = () => {
    const stat = fs.statSync(bundle, { throwIfNoEntry: false });
    return stat ? `${stat.ino}:${stat.mtimeMs}:${stat.size}` : '';
  };
  let seen = stamp();
  let busy = false;
  const timer = setInterval(() => {
    const now = stamp();
    if (busy || now === seen || now === '') return;
    busy = true;
    seen = now;
    reloadCaTrust(ctx, agentApp, hosts)
      .catch((error: unknown) => ctx.log.error({ err: error }, 'could not reload the CA'))
      .finally(() => {
        busy = false;
      });
  }, CA_WATCH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export async function reloadCaTrust(
  ctx: AppContext,
  agentApp: FastifyInstance,
  hosts: string[],
): Promise<void> {
  const trust = await loadCaTrust(ctx.config.caDir);
  const tls = await listenerTls(trust, hosts, ctx.clock());
  ctx.caTrust = trust;
  ctx.ca = trust.active;
  const server = agentApp.server as unknown as { setSecureContext?: (o: object) => void };
  server.setSecureContext?.({
    cert: tls.certificatePem,
    key: tls.keyPem,
    ca: tls.trustedCaPems,
    minVersion: 'TLSv1.2',
  });
  ctx.log.info(
    { trusted: trust.trusted.map((certificate) => certificate.subject) },
    'reloaded the CA trust',
  );
}
