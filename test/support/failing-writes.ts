import { sql } from 'kysely';
import type { TestServer } from './server';

/**
 * Makes inserts into `table` fail inside the database, as a full disk would; with `action`,
 * only audit events of that action fail. Returns what puts the table back.
 */
export async function failInserts(
  server: TestServer,
  table: 'certificates' | 'audit_events',
  action?: string,
): Promise<() => Promise<void>> {
  const db = server.ctx.db;
  const name = sql.raw(`fail_${table}`);
  const target = sql.raw(table);
  const condition = action ? sql`NEW.action = ${sql.lit(action)}` : sql`TRUE`;

  if (server.ctx.dialect === 'sqlite') {
    await sql`CREATE TRIGGER ${name} BEFORE INSERT ON ${target} WHEN ${condition}
      BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END`.execute(db);
    return async () => {
      await sql`DROP TRIGGER ${name}`.execute(db);
    };
  }
  await sql`CREATE FUNCTION ${name}() RETURNS trigger AS $$
    BEGIN
      IF ${condition} THEN RAISE EXCEPTION 'simulated write failure'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`.execute(db);
  await sql`CREATE TRIGGER ${name} BEFORE INSERT ON ${target}
    FOR EACH ROW EXECUTE FUNCTION ${name}()`.execute(db);
  return async () => {
    await sql`DROP TRIGGER ${name} ON ${target}`.execute(db);
    await sql`DROP FUNCTION ${name}()`.execute(db);
  };
}
