import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findClient } from '../clients/store';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';
import { type SessionClaims, verifySession } from './jwt';

/** Sessions already verified for a request (by the access check, then again by its handler). */
const verified = new WeakMap<FastifyRequest, SessionClaims>();

/** The signed-in user of a dashboard request, or a 401. */
export async function requireUser(
  ctx: AppContext,
  request: FastifyRequest,
): Promise<SessionClaims> {
  const known = verified.get(request);
  if (known) return known;
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError('unauthorized');
  const claims = await verifySession(match[1], ctx.jwtSecret, ctx.clock());
  if (!claims) throw new AppError('unauthorized', 'The session is missing, expired or invalid.');
  verified.set(request, claims);
  return claims;
}

/** Admins (of their client, or super-admins) may change things; read-only users may not. */
export async function requireAdmin(ctx: AppContext, request: FastifyRequest) {
  const user = await requireUser(ctx, request);
  if (user.role === 'read_only') throw new AppError('forbidden');
  return user;
}

export async function requireSuperAdmin(ctx: AppContext, request: FastifyRequest) {
  const user = await requireUser(ctx, request);
  if (user.role !== 'super_admin') throw new AppError('forbidden');
  return user;
}

/** The roles a route's declared `bearer` security lists, or undefined when it declares none. */
function declaredRoles(request: FastifyRequest): string[] | undefined {
  const schema = request.routeOptions.schema as { security?: Record<string, string[]>[] };
  return schema?.security?.find((requirement) => 'bearer' in requirement)?.bearer;
}

/**
 * Checks the session and role a route declares (`BEARER`, `ADMIN`, `SUPER_ADMIN` in its
 * schema) before its input is validated, so that a caller without a session gets 401 and one
 * without the role 403, never a validation error that would describe the route to them.
 * Handlers still call the guard they need; the session is verified once per request.
 */
export function checkDeclaredAccess(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preValidation', async (request) => {
    const roles = declaredRoles(request);
    if (roles === undefined) return;
    if (roles.includes('super_admin')) await requireSuperAdmin(ctx, request);
    else if (roles.includes('admin')) await requireAdmin(ctx, request);
    else await requireUser(ctx, request);
  });
}

/** The client whose data a request may touch; null means every client (super-admin). */
export function scopeOf(user: SessionClaims): string | null {
  if (user.role === 'super_admin') return null;
  // A client user without a client would otherwise read as "every client".
  if (user.clientId === null) throw new AppError('forbidden');
  return user.clientId;
}

const clientIdQuery = z.looseObject({ client_id: z.string().min(1).max(64).optional() });

/**
 * The scope of a read: a client's users see their client; a super-admin sees every client, or
 * one client when the request names it with `?client_id=`.
 */
export function readScope(user: SessionClaims, request: FastifyRequest): string | null {
  const own = scopeOf(user);
  if (own !== null) return own;
  return parseInput(clientIdQuery, request.query).client_id ?? null;
}

/**
 * The client a write acts for: the user's own, or for a super-admin the client named by
 * `?client_id=` (required, and it must exist).
 */
export async function writeScope(
  ctx: AppContext,
  user: SessionClaims,
  request: FastifyRequest,
): Promise<string> {
  const own = scopeOf(user);
  if (own !== null) return own;
  const named = parseInput(clientIdQuery, request.query).client_id;
  if (!named) {
    throw new AppError(
      'validation_failed',
      'client_id: a super-admin must name the client',
      'client_id',
    );
  }
  if (!(await findClient(ctx.db, named))) throw new AppError('not_found');
  return named;
}
