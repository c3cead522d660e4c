import { errorBodySchema } from '@optralis/protocol';
import { z } from 'zod';

/**
 * Pieces the routes use to declare their schemas. A route's `schema` both documents it (the
 * OpenAPI document is generated from it) and is enforced: requests are validated against it
 * and JSON answers serialized through it.
 */

/** An OpenAPI security requirement; for `bearer`, the roles the route needs (none: any user). */
export type Security = Record<string, string[]>[];

/**
 * A session (bearer JWT from `POST /api/auth/login`) of any role. The role a route needs is
 * part of its declaration (`ADMIN`, `SUPER_ADMIN`): the server checks it before it reads the
 * request, so that a caller without the right learns nothing from validation errors.
 */
export const BEARER: Security = [{ bearer: [] }];

/** A session of a client administrator or a super-admin (not read-only). */
export const ADMIN: Security = [{ bearer: ['admin'] }];

/** A session of a super-admin. */
export const SUPER_ADMIN: Security = [{ bearer: ['super_admin'] }];

/** The metrics token (`OPTRALIS_METRICS_TOKEN`), for `/metrics`. */
export const METRICS_TOKEN: Security = [{ metricsToken: [] }];

/** A machine certificate of the Optralis CA, on the agent listener. */
export const MTLS = [{ mtls: [] }];

/** Error responses: the same body for every code, listed with their meaning in docs/errors.md. */
export function errors(...statuses: number[]): Record<number, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema]));
}

/** A super-admin names the client it acts for; everyone else acts for their own. */
export const clientScope = z.object({
  client_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('Super-admins only: the client to act for.'),
});

export const idParam = z.object({ id: z.string().min(1).max(64) });

export const noContent = z.null().describe('Done; no body.');

export const text = (description: string) => ({
  description,
  content: { 'text/plain': { schema: z.string() } },
});

export const shellScript = (description: string) => ({
  description,
  content: { 'text/x-shellscript': { schema: z.string().describe('a bash script') } },
});

export const binary = (description: string) => ({
  description,
  content: { 'application/octet-stream': { schema: z.string().describe('bytes') } },
});
