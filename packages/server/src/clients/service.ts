import { recordAudit } from '../audit/store';
import { generatePassword } from '../auth/passwords';
import { findUserByEmail, newUserRow } from '../auth/store';
import type { AppContext } from '../context';
import { isUniqueViolation } from '../db/database';
import { AppError } from '../errors';
import { newId } from '../ids';

export interface NewClient {
  name: string;
  adminEmail: string;
  /** Who asks, for the audit trail (`user:<id>` or `cli`). */
  actor: string;
}

/**
 * Creates a client and its first administrator. The administrator's password is generated here
 * and returned once; only its scrypt hash is stored.
 */
export async function createClientWithAdmin(
  ctx: Pick<AppContext, 'db' | 'clock'>,
  input: NewClient,
) {
  const now = ctx.clock();
  if (await findUserByEmail(ctx.db, input.adminEmail)) {
    throw new AppError('email_taken', undefined, 'admin_email');
  }
  const password = generatePassword();
  const client = { id: newId(), name: input.name, created_at: now.toISOString() };
  const admin = await newUserRow(
    { email: input.adminEmail, password, role: 'client_admin', clientId: client.id },
    now,
  );
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('clients').values(client).execute();
      await trx.insertInto('users').values(admin).execute();
      // In the same transaction: a client exists if and only if its creation is audited.
      await recordAudit(
        trx,
        {
          clientId: client.id,
          actor: input.actor,
          action: 'client.created',
          subject: client.id,
          details: { admin_user: admin.id },
        },
        now,
      );
    });
  } catch (error) {
    // Another request took the email between the check and the insert.
    if (isUniqueViolation(error)) throw new AppError('email_taken', undefined, 'admin_email');
    throw error;
  }
  return {
    client,
    admin: { id: admin.id, email: admin.email, role: admin.role },
    admin_password: password,
  };
}
