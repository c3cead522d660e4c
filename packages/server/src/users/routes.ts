import { createUserRequestSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../audit/store';
import { readScope, requireAdmin, requireUser, writeScope } from '../auth/guard';
import { generatePassword } from '../auth/passwords';
import { findUserByEmail, findUserById, listUsers, newUserRow } from '../auth/store';
import type { AppContext } from '../context';
import { isUniqueViolation } from '../db/database';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';

/** The signed-in user, and the users of a client (administrators add them). */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/auth/me', async (request) => {
    const session = await requireUser(ctx, request);
    const user = await findUserById(ctx.db, session.userId);
    if (!user) throw new AppError('unauthorized', 'The session belongs to a deleted user.');
    return { user };
  });

  app.get('/api/users', async (request) => {
    const user = await requireUser(ctx, request);
    return { users: await listUsers(ctx.db, readScope(user, request)) };
  });

  app.post('/api/users', async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    const clientId = await writeScope(ctx, admin, request);
    const body = parseInput(createUserRequestSchema, request.body);
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
