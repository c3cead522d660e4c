import {
  createUserRequestSchema,
  createUserResponseSchema,
  listUsersResponseSchema,
  userSchema,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit } from '../audit/store';
import { readScope, requireAdmin, requireUser, writeScope } from '../auth/guard';
import { generatePassword } from '../auth/passwords';
import { findUserByEmail, findUserById, listUsers, newUserRow } from '../auth/store';
import type { AppContext } from '../context';
import { isUniqueViolation } from '../db/database';
import { AppError } from '../errors';
import { ADMIN, BEARER, clientScope, errors } from '../http/route-schema';

/** The signed-in user, and the users of a client (administrators add them). */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const me = {
    tags: ['auth'],
    summary: 'The signed-in user',
    security: BEARER,
    response: { 200: z.object({ user: userSchema }), ...errors(401) },
  };
  api.get('/api/auth/me', { schema: me }, async (request) => {
    const session = await requireUser(ctx, request);
    const user = await findUserById(ctx.db, session.userId);
    if (!user) throw new AppError('unauthorized', 'The session belongs to a deleted user.');
    return { user };
  });

  const list = {
    tags: ['clients'],
    summary: 'List the users of a client',
    security: BEARER,
    querystring: clientScope,
    response: { 200: listUsersResponseSchema, ...errors(400, 401, 404) },
  };
  api.get('/api/users', { schema: list }, async (request) => {
    const user = await requireUser(ctx, request);
    return { users: await listUsers(ctx.db, readScope(user, request)) };
  });

  const create = {
    tags: ['clients'],
    summary: 'Add a user to a client (administrators); the password is shown once',
    security: ADMIN,
    querystring: clientScope,
    body: createUserRequestSchema,
    response: { 201: createUserResponseSchema, ...errors(400, 401, 403, 404, 409) },
  };
  api.post('/api/users', { schema: create }, async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    const clientId = await writeScope(ctx, admin, request);
    const body = request.body;
    if (await findUserByEmail(ctx.db, body.email)) {
      throw new AppError('email_taken', undefined, 'email');
    }
    const password = generatePassword();
    const now = ctx.clock();
    const row = await newUserRow({ email: body.email, password, role: body.role, clientId }, now);
    try {
      await ctx.db.insertInto('users').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('email_taken', undefined, 'email');
      throw error;
    }
    await recordAudit(
      ctx.db,
      {
        clientId,
        actor: `user:${admin.userId}`,
        action: 'user.created',
        subject: row.id,
        details: { role: row.role },
      },
      now,
    );
    const user = { id: row.id, email: row.email, role: row.role, client_id: clientId };
    return reply.status(201).send({ user, password });
  });
}
