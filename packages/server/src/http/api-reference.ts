import {
  agentHealthSchema,
  bootstrapRequestSchema,
  bootstrapResponseSchema,
  errorBodySchema,
  healthSchema,
  heartbeatRequestSchema,
  heartbeatResponseSchema,
  loginRequestSchema,
  loginResponseSchema,
  machineListSchema,
  readinessSchema,
} from '@optralis/protocol';
import { z } from 'zod';

/** One route of the reference: where it lives, what it takes and what it answers. */
export interface ApiRoute {
  listener: 'public' | 'agent';
  tag: string;
  summary: string;
  description?: string;
  security?: 'bearer' | 'mtls';
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  responses: Record<string, unknown>;
}

/** Error responses: the same body for every code, listed with their meaning in docs/errors.md. */
function errors(...statuses: number[]): Record<string, z.ZodType> {
  return Object.fromEntries(statuses.map((status) => [String(status), errorBodySchema]));
}

const text = (description: string) => ({
  description,
  content: { 'text/plain': { schema: z.string() } },
});

/**
 * The API reference: every route of both listeners, keyed by "METHOD url" as Fastify registers
 * it. A test fails when a registered route is missing here, so the published OpenAPI document
 * (`/api/openapi.json`, `docs/openapi.json`) always covers the whole API.
 */
export const API_ROUTES: Record<string, ApiRoute> = {
  'POST /api/auth/login': {
    listener: 'public',
    tag: 'auth',
    summary: 'Sign in and get a session token (rate-limited)',
    body: loginRequestSchema,
    responses: { 200: loginResponseSchema, ...errors(400, 401, 429) },
  },
  'POST /api/public/bootstrap': {
    listener: 'public',
    tag: 'enrollment',
    summary: 'Trade an install token for a machine certificate',
    description:
      'With a CSR (key made on the machine) the server signs it and returns no private key; ' +
      'without one it makes the key and returns it once. A refused request spends no token use.',
    body: bootstrapRequestSchema,
    responses: { 200: bootstrapResponseSchema, ...errors(400, 403, 409, 413, 429) },
  },
  'GET /api/machines': {
    listener: 'public',
    tag: 'machines',
    summary: 'List the machines of the caller’s client (all clients for a super-admin)',
    security: 'bearer',
    responses: { 200: machineListSchema, ...errors(401) },
  },
  'GET /healthz': {
    listener: 'public',
    tag: 'operations',
    summary: 'The process is up',
    responses: { 200: healthSchema },
  },
  'GET /readyz': {
    listener: 'public',
    tag: 'operations',
    summary: 'Database, CA and downloads directory are usable',
    responses: { 200: readinessSchema, 503: readinessSchema },
  },
  'GET /metrics': {
    listener: 'public',
    tag: 'operations',
    summary: 'Prometheus metrics (off unless OPTRALIS_METRICS_TOKEN or _PORT is set)',
    security: 'bearer',
    responses: { 200: text('Prometheus text exposition format.'), ...errors(401, 404) },
  },
  'GET /health': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Check the machine certificate and the connection',
    security: 'mtls',
    responses: { 200: agentHealthSchema, ...errors(401, 403) },
  },
  'POST /heartbeat': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Report the machine state; the answer may offer an update',
    description: 'The body may be gzip-compressed; the gzip magic bytes decide.',
    security: 'mtls',
    body: heartbeatRequestSchema,
    responses: { 200: heartbeatResponseSchema, ...errors(400, 401, 403, 413, 415) },
  },
};
