import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findClient } from '../clients/store';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';
import { type SessionClaims, verifySession } from './jwt';

/** The signed-in user of a dashboard request, or a 401. */
export async function requireUser(
  ctx: AppContext,
  request: FastifyRequest,
): Promise<SessionClaims> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError('unauthorized');
  const claims = await verifySession(match[1], ctx.jwtSecret, ctx.clock());
  if (!claims) throw new AppError('unauthorized', 'The session is missing, expired or invalid.');
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
