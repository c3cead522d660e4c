import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context';
import { AppError } from '../errors';
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
  return user.role === 'super_admin' ? null : user.clientId;
}
