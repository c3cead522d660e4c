import { createUserRequestSchema } from '@optralis/protocol';
import type { Command } from 'commander';
import { recordAudit } from '../audit/store';
import { generatePassword } from '../auth/passwords';
import { createUser, findUserByEmail, listUsers } from '../auth/store';
import { ROLES, type Role } from '../db/schema';
import { systemClock } from '../ids';
import { CliError, checked, emit, table } from './output';
import { openCliStore } from './store';
import { clientScope } from './store-commands';

export function registerUsers(program: Command, json: () => boolean): void {
  const user = program.command('user').description('dashboard users and their roles');
  user
    .command('create')
    .description('create a user; the password is generated and shown once')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--role <role>', 'super_admin, client_admin or read_only')
    .option('--client <id>', 'the client of a client_admin or read_only user')
    .action(async (options: { email: string; role: string; client?: string }) => {
      const role = ROLES.find((known) => known === options.role) as Role | undefined;
      if (!role) throw new CliError('--role must be super_admin, client_admin or read_only');
      if ((role === 'super_admin') !== (options.client === undefined)) {
        throw new CliError('--client is required for client users and refused for super_admin');
      }
      checked(createUserRequestSchema.shape.email, options.email, '--email');
      const password = generatePassword();
      const { db } = await openCliStore({ creates: true });
      try {
        await clientScope(db, options.client);
        if (await findUserByEmail(db, options.email))
          throw new CliError('the email is taken', 'email_taken');
        const now = systemClock();
        const clientId = options.client ?? null;
        const row = await createUser(db, { email: options.email, password, role, clientId }, now);
        await recordAudit(
          db,
          { clientId, actor: 'cli', action: 'user.created', subject: row.id },
          now,
        );
        const out = { id: row.id, email: row.email, role, client_id: clientId, password };
        emit(json(), out, () =>
          [
            `user ${row.email} (${role}) created; password (shown only this once):`,
            `  ${password}`,
          ].join('\n'),
        );
      } finally {
        await db.destroy();
      }
    });
  user
    .command('list')
    .description('list users')
    .option('--client <id>', 'only this client')
    .action(async (options: { client?: string }) => {
      const { db } = await openCliStore();
      try {
        const rows = await listUsers(db, options.client ?? null);
        emit(json(), rows, () => table(rows, ['id', 'email', 'role', 'client_id', 'created_at']));
      } finally {
        await db.destroy();
      }
    });
}
