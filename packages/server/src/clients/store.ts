import type { Db } from '../db/database';
import { newId } from '../ids';

export async function createClient(db: Db, name: string, now: Date) {
  const client = { id: newId(), name, created_at: now.toISOString() };
  await db.insertInto('clients').values(client).execute();
  return client;
}

export async function findClient(db: Db, id: string) {
  return db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listClients(db: Db) {
  return db.selectFrom('clients').selectAll().orderBy('created_at').execute();
}
