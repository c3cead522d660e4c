import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import { healthSchema, readinessSchema } from '@optralis/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { errors, METRICS_TOKEN, text } from '../http/route-schema';
import type { Metrics } from './metrics';

type Check = { name: string; ok: boolean; detail?: string };

/** What `/readyz` looks at: the store answers, the CA is loaded and valid, downloads readable. */
async function readinessChecks(ctx: AppContext): Promise<Check[]> {
  const database = await sql`select 1 as one`.execute(ctx.db).then(
    () => ({ name: 'database', ok: true }),
    () => ({ name: 'database', ok: false, detail: 'the database does not answer' }),
  );
  const now = ctx.clock();
  const caValid = ctx.ca.certificate.notBefore <= now && now < ctx.ca.certificate.notAfter;
  const ca = caValid
    ? { name: 'ca', ok: true }
    : { name: 'ca', ok: false, detail: 'the CA certificate is not valid now' };
  const downloads = await fs.access(ctx.config.downloadsDir, fs.constants.R_OK).then(
    () => ({ name: 'downloads', ok: true }),
    () => ({ name: 'downloads', ok: false, detail: 'the downloads directory is not readable' }),
  );
  return [database, ca, downloads];
}

/** `/healthz`: the process answers. `/readyz`: it can do its work (503 otherwise). */
export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const health = {
    tags: ['operations'],
    summary: 'The process is up',
    response: { 200: healthSchema },
  };
  app.get('/healthz', { schema: health }, async () => ({ status: 'ok' as const }));
  const ready = {
    tags: ['operations'],
    summary: 'Database, CA and downloads directory are usable',
    response: { 200: readinessSchema, 503: readinessSchema },
  };
  app.get('/readyz', { schema: ready }, async (_request, reply) => {
    const checks = await readinessChecks(ctx);
    const ready = checks.every((check) => check.ok);
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });
}

function bearerMatches(request: FastifyRequest, expected: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '', 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** `/metrics` in Prometheus text format, behind the bearer token when one is configured. */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, token: string | undefined) {
  const schema = {
    tags: ['operations'],
    summary: 'Prometheus metrics (off unless OPTRALIS_METRICS_TOKEN or _PORT is set)',
    security: METRICS_TOKEN,
    response: { 200: text('Prometheus text exposition format.'), ...errors(401, 404) },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request, token)) throw new AppError('unauthorized');
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
