import { createClientRequestSchema } from '@optralis/protocol';
import type { Command } from 'commander';
import { listAudit, recordAudit, toPublicAuditEvent } from '../audit/store';
import { caExists, loadCa } from '../ca';
import { createClientWithAdmin } from '../clients/service';
import { createClient, findClient, listClients } from '../clients/store';
import { loadConfig } from '../config';
import type { Db } from '../db/database';
import { isAppError } from '../errors';
import { systemClock } from '../ids';
import { ONLINE_WINDOW_MS } from '../machines/routes';
import { findMachine, listMachines, revokeMachine, toPublicMachine } from '../machines/store';
import {
  COMMAND_TOKEN_DEFAULT_MINUTES,
  COMMAND_TOKEN_MAX_MINUTES,
  createInstallToken,
  MAX_USAGE_LIMIT,
  parseTtlMinutes,
  revokeInstallToken,
  toListedToken,
  toPublicToken,
} from '../tokens/service';
import { listTokens } from '../tokens/store';
import { CliError, checked, emit, table } from './output';
import { withStore } from './store';

const PLATFORMS = ['any', 'linux', 'windows'] as const;

/** The client named by `--client`, checked: a list of an unknown client is a mistake, not empty. */
export async function clientScope(db: Db, clientId: string | undefined): Promise<string | null> {
  if (clientId === undefined) return null;
  if (!(await findClient(db, clientId)))
    throw new CliError(`no client has the id ${clientId}`, 'not_found');
  return clientId;
}

export function registerStoreCommands(program: Command, json: () => boolean): void {
  const client = program.command('client').description('manage clients (tenants)');
  client
    .command('create')
    .argument('<name>', 'client name')
    .option('--admin-email <email>', 'also create its first administrator (password shown once)')
    .description('create a client')
    .action(async (name: string, options: { adminEmail?: string }) => {
      if (!name.trim() || name.length > 200 || /\p{Cc}/u.test(name)) {
        throw new CliError('the name must be 1 to 200 printable characters');
      }
      if (options.adminEmail !== undefined) {
        checked(createClientRequestSchema.shape.admin_email, options.adminEmail, '--admin-email');
      }
      const ctx = { clock: systemClock };
      const created = await withStore(
        async ({ db }) => {
          if (options.adminEmail) {
            return createClientWithAdmin(
              { db, ...ctx },
              { name: name.trim(), adminEmail: options.adminEmail, actor: 'cli' },
            );
          }
          const row = await createClient(db, name.trim(), systemClock());
          await recordAudit(
            db,
            { clientId: row.id, actor: 'cli', action: 'client.created', subject: row.id },
            systemClock(),
          );
          return { client: row };
        },
        { creates: true },
      );
      // Without an administrator, the JSON is the client row itself, as scripts expect.
      emit(json(), 'admin' in created ? created : created.client, () =>
        [
          `client ${created.client.id} created (${created.client.name})`,
          ...('admin' in created
            ? [
                `administrator ${created.admin.email}, password (shown only this once):`,
                `  ${created.admin_password}`,
              ]
            : []),
        ].join('\n'),
      );
    });
  client
    .command('list')
    .description('list clients')
    .action(async () => {
      const rows = await withStore(({ db }) => listClients(db));
      emit(json(), rows, () => table(rows, ['id', 'name', 'created_at']));
    });

  const token = program.command('token').description('manage install tokens');
  token
    .command('create')
    .description('create an install token (shown once)')
    .requiredOption('--client <id>', 'client the machines will belong to')
    .option('--ttl <duration>', 'lifetime, 1m to 60m', `${COMMAND_TOKEN_DEFAULT_MINUTES}m`)
    .option('--max-usage <n>', 'machines it may enroll, 0 = unlimited', '1')
    .option('--platform <platform>', 'any, linux or windows', 'any')
    .action(
      async (options: { client: string; ttl: string; maxUsage: string; platform: string }) => {
        const ttl = parseTtlMinutes(options.ttl);
        if (ttl === undefined || ttl < 1 || ttl > COMMAND_TOKEN_MAX_MINUTES) {
          throw new CliError('--ttl must be between 1m and 60m');
        }
        const maxUsage = Number(options.maxUsage);
        if (!Number.isInteger(maxUsage) || maxUsage < 0 || maxUsage > MAX_USAGE_LIMIT) {
          throw new CliError(
            `--max-usage must be a whole number from 0 (unlimited) to ${MAX_USAGE_LIMIT}`,
          );
        }
        const platform = PLATFORMS.find((p) => p === options.platform);
        if (!platform) throw new CliError('--platform must be any, linux or windows');

        const created = await withStore(async ({ db }) => {
          await clientScope(db, options.client);
          return createInstallToken(
            { db, clock: systemClock },
            {
              clientId: options.client,
              createdBy: 'cli',
              kind: 'command',
              ttlMinutes: ttl,
              maxUsage,
              platform,
            },
          );
        });
        const out = { ...toPublicToken(created.row), token: created.value };
        emit(json(), out, () =>
          [
            `token ${out.id} (expires ${out.expires_at}, max usage ${out.max_usage || 'unlimited'})`,
            '',
            `  ${created.value}`,
            '',
            'It is shown only this once.',
          ].join('\n'),
        );
      },
    );
  token
    .command('list')
    .description('list install tokens')
    .option('--client <id>', 'only this client')
    .action(async (options: { client?: string }) => {
      const rows = await withStore(async ({ db }) =>
        listTokens(db, await clientScope(db, options.client)),
      );
      const now = systemClock();
      const out = rows.map((row) => toListedToken(row, now));
      emit(json(), out, () =>
        table(out, [
          'id',
          'client_id',
          'platform',
          'active',
          'usage_count',
          'max_usage',
          'expires_at',
          'revoked_at',
        ]),
      );
    });
  token
    .command('revoke')
    .argument('<id>', 'token id')
    .description('revoke a token: new installs stop, installed machines keep working')
    .action(async (id: string) => {
      await withStore(({ db }) =>
        revokeInstallToken({ db, clock: systemClock }, id, null, 'cli').catch((error) => {
          throw isAppError(error) ? new CliError(`no token has the id ${id}`, 'not_found') : error;
        }),
      );
      emit(json(), { id, revoked: true }, () => `token ${id} revoked`);
    });

  const machines = program.command('machines').description('enrolled machines');
  machines
    .command('list')
    .description('list machines')
    .option('--client <id>', 'only this client')
    .action(async (options: { client?: string }) => {
      const rows = await withStore(async ({ db }) =>
        listMachines(db, await clientScope(db, options.client)),
      );
      const now = systemClock();
      const out = rows.map((row) => toPublicMachine(row, now, ONLINE_WINDOW_MS));
      const shown = out.map((machine) => ({
        ...machine,
        os: machine.os ? [machine.os.name, machine.os.version].filter(Boolean).join(' ') : null,
      }));
      emit(json(), out, () =>
        table(shown, [
          'id',
          'hostname',
          'os',
          'platform',
          'arch',
          'agent_version',
          'last_seen',
          'revoked_at',
        ]),
      );
    });
  machines
    .command('revoke')
    .argument('<id>', 'machine id')
    .description('revoke a machine: its certificate is refused from the next request')
    .action(async (id: string) => {
      const outcome = await withStore(async ({ db }) => {
        const machine = await findMachine(db, id, null);
        if (!machine) return 'missing';
        if (machine.revoked_at) return 'already';
        const now = systemClock();
        if (!(await revokeMachine(db, id, null, now))) return 'already';
        await recordAudit(
          db,
          { clientId: machine.client_id, actor: 'cli', action: 'machine.revoked', subject: id },
          now,
        );
        return 'revoked';
      });
      if (outcome === 'missing') throw new CliError(`no machine has the id ${id}`, 'not_found');
      // Revoking twice is not a mistake: the machine is revoked either way.
      const already = outcome === 'already';
      emit(json(), { id, revoked: true, already_revoked: already }, () =>
        already ? `machine ${id} was already revoked` : `machine ${id} revoked`,
      );
    });

  program
    .command('audit')
    .description('recent audit events, newest first')
    .option('--client <id>', 'only this client')
    .option('--limit <n>', 'how many events, 1 to 1000', '100')
    .action(async (options: { client?: string; limit: string }) => {
      const limit = Number(options.limit);
      if (!/^\d+$/.test(options.limit) || limit < 1 || limit > 1000) {
        throw new CliError('--limit must be a whole number from 1 to 1000');
      }
      const rows = await withStore(async ({ db }) =>
        listAudit(db, await clientScope(db, options.client), limit),
      );
      const events = rows.map(toPublicAuditEvent);
      emit(json(), events, () =>
        table(
          events.map((event) => ({
            ...event,
            details: event.details ? JSON.stringify(event.details) : null,
          })),
          ['created_at', 'actor', 'action', 'subject', 'details'],
        ),
      );
    });

  program
    .command('status')
    .description('where the data is and whether the CA exists')
    .action(async () => {
      const config = loadConfig();
      const hasCa = caExists(config.caDir);
      const ca = hasCa ? await loadCa(config.caDir) : undefined;
      const out = {
        data_dir: config.dataDir,
        ca_dir: config.caDir,
        ca_not_after: ca?.certificate.notAfter.toISOString() ?? null,
        database: config.databaseUrl ? 'postgres' : 'sqlite',
      };
      emit(json(), out, () =>
        Object.entries(out)
          .map(([k, v]) => `${k}: ${v ?? '-'}`)
          .join('\n'),
      );
    });
}
