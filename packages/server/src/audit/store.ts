import type { Db } from '../db/database';
import type { AuditEventsTable } from '../db/schema';
import { newId } from '../ids';

export interface AuditEvent {
  clientId: string | null;
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
}

/** Audit events never carry secrets: callers pass ids and reasons, not tokens or keys. */
export async function recordAudit(db: Db, event: AuditEvent, now: Date): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId(),
      client_id: event.clientId,
      actor: event.actor,
      action: event.action,
      subject: event.subject ?? null,
      details: event.details ? JSON.stringify(event.details) : null,
      created_at: now.toISOString(),
    })
    .execute();
}

export async function listAudit(db: Db, clientId: string | null, limit = 100) {
  let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(limit);
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  return query.execute();
}

export function toPublicAuditEvent(row: AuditEventsTable) {
  return {
    id: row.id,
    client_id: row.client_id,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    created_at: row.created_at,
  };
}
