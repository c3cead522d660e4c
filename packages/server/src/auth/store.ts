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

export async function createUser(
  db: Db,
  input: { email: string; password: string; role: Role; clientId: string | null },
  now: Date,
) {
  const user = {
    id: newId(),
    client_id: input.clientId,
    email: input.email.toLowerCase(),
    password_hash: await hashPassword(input.password),
    role: input.role,
    created_at: now.toISOString(),
  };
  await db.insertInto('users').values(user).execute();
  return user;
}
