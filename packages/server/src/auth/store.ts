import type { Db } from '../db/database';
import type { Role } from '../db/schema';
import { newId } from '../ids';
import { hashPassword } from './passwords';

export async function findUserByEmail(db: Db, email: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email.toLowerCase())
    .executeTakeFirst();
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface NewUser {
  email: string;
  password: string;
  role: Role;
  clientId: string | null;
}

/** The row of a new user; the password is hashed here, before any transaction is opened. */
export async function newUserRow(input: NewUser, now: Date) {
  return {
    id: newId(),
    client_id: input.clientId,
    email: input.email.toLowerCase(),
    password_hash: await hashPassword(input.password),
    role: input.role,
    created_at: now.toISOString(),
  };
}

export async function createUser(db: Db, input: NewUser, now: Date) {
  const user = await newUserRow(input, now);
  await db.insertInto('users').values(user).execute();
  return user;
}

/**
 * Inserts the user unless one with that email exists; true when this call made it. Two servers
 * starting at once on one database both try to make the first super-admin: one wins quietly.
 */
export async function createUserIfAbsent(db: Db, input: NewUser, now: Date): Promise<boolean> {
  const user = await newUserRow(input, now);
  const rows = await db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('email').doNothing())
    .returning('id')
    .execute();
  return rows.length === 1;
}

export async function listUsers(db: Db, clientId: string | null) {
  let query = db
    .selectFrom('users')
    .select(['id', 'client_id', 'email', 'role', 'created_at'])
    .orderBy('created_at');
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  return query.execute();
}

export async function findUserById(db: Db, id: string) {
  return db
    .selectFrom('users')
    .select(['id', 'client_id', 'email', 'role'])
    .where('id', '=', id)
    .executeTakeFirst();
}
