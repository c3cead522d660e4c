import {
  activeWindowsTokenResponseSchema,
  agentHealthSchema,
  bootstrapRequestSchema,
  bootstrapResponseSchema,
  createClientRequestSchema,
  createClientResponseSchema,
  createdInstallTokenSchema,
  createInstallTokenRequestSchema,
  createUserRequestSchema,
  createUserResponseSchema,
  errorBodySchema,
  healthSchema,
  heartbeatRequestSchema,
  heartbeatResponseSchema,
  listAuditResponseSchema,
  listClientsResponseSchema,
  listInstallTokensResponseSchema,
  listUsersResponseSchema,
  loginRequestSchema,
  loginResponseSchema,
  machineListSchema,
  readinessSchema,
  userSchema,
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

/** A super-admin names the client it acts for; everyone else acts for their own. */
const clientScope = z.object({
  client_id: z.string().optional().describe('Super-admins only: the client to act for.'),
});

const idParam = z.object({ id: z.string() });

const noContent = z.null().describe('Done; no body.');

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
  'GET /api/auth/me': {
    listener: 'public',
    tag: 'auth',
    summary: 'The signed-in user',
    security: 'bearer',
    responses: { 200: z.object({ user: userSchema }), ...errors(401) },
  },
  'DELETE /api/machines/:id': {
    listener: 'public',
    tag: 'machines',
    summary: 'Revoke a machine: its certificate stops working at its next request',
    security: 'bearer',
    params: idParam,
    querystring: clientScope,
    responses: { 204: noContent, ...errors(401, 403, 404) },
  },
  'POST /api/admin/clients': {
    listener: 'public',
    tag: 'clients',
    summary: 'Create a client and its first administrator (super-admin)',
    description: 'The administrator’s password is in this answer only.',
    security: 'bearer',
    body: createClientRequestSchema,
    responses: { 201: createClientResponseSchema, ...errors(400, 401, 403, 409) },
  },
  'GET /api/admin/clients': {
    listener: 'public',
    tag: 'clients',
    summary: 'List clients (super-admin)',
    security: 'bearer',
    responses: { 200: listClientsResponseSchema, ...errors(401, 403) },
  },
  'GET /api/users': {
    listener: 'public',
    tag: 'clients',
    summary: 'List the users of a client',
    security: 'bearer',
    querystring: clientScope,
    responses: { 200: listUsersResponseSchema, ...errors(401, 404) },
  },
  'POST /api/users': {
    listener: 'public',
    tag: 'clients',
    summary: 'Add a user to a client (administrators); the password is shown once',
    security: 'bearer',
    querystring: clientScope,
    body: createUserRequestSchema,
    responses: { 201: createUserResponseSchema, ...errors(400, 401, 403, 404, 409) },
  },
  'POST /api/install-tokens': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'Create a command-line install token; its value is shown in this answer only',
    security: 'bearer',
    querystring: clientScope,
    body: createInstallTokenRequestSchema,
    responses: { 201: createdInstallTokenSchema, ...errors(400, 401, 403, 404) },
  },
  'GET /api/install-tokens': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'List install tokens, newest first (values are never shown again)',
    security: 'bearer',
    querystring: clientScope.extend({ active: z.enum(['true', 'false', '1', '0']).optional() }),
    responses: { 200: listInstallTokensResponseSchema, ...errors(401, 404) },
  },
  'GET /api/install-tokens/windows/active': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'The active Windows mass-deployment token, for the "X/N machines" progress',
    security: 'bearer',
    querystring: clientScope,
    responses: { 200: activeWindowsTokenResponseSchema, ...errors(401, 404) },
  },
  'DELETE /api/install-tokens/:id': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'Revoke a token: no new installs; installed machines keep working',
    security: 'bearer',
    params: idParam,
    querystring: clientScope,
    responses: { 204: noContent, ...errors(401, 403, 404) },
  },
  'GET /api/audit': {
    listener: 'public',
    tag: 'audit',
    summary: 'Audit events, newest first',
    security: 'bearer',
    querystring: clientScope.extend({ limit: z.number().int().min(1).max(1000).optional() }),
    responses: { 200: listAuditResponseSchema, ...errors(400, 401, 404) },
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
