import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

/**
 * One migration set for SQLite and PostgreSQL: only portable column types (text, integer) and
 * the schema builder, so the same SQL runs on both.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.references('clients.id'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('install_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('max_usage', 'integer', (c) => c.notNull())
        .addColumn('usage_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .execute();
      await db.schema
        .createIndex('install_tokens_client')
        .on('install_tokens')
        .columns(['client_id', 'expires_at'])
        .execute();

      await db.schema
        .createTable('machines')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('hardware_id', 'text')
        .addColumn('platform', 'text')
        .addColumn('arch', 'text')
        .addColumn('agent_version', 'text')
        .addColumn('channel', 'text', (c) => c.notNull().defaultTo('stable'))
        .addColumn('token_id', 'text')
        .addColumn('enrolled_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createIndex('machines_client_hardware')
        .on('machines')
        .columns(['client_id', 'hardware_id'])
        .execute();

      await db.schema
        .createTable('certificates')
        .addColumn('serial', 'text', (c) => c.primaryKey())
        .addColumn('machine_id', 'text', (c) => c.notNull().references('machines.id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('token_id', 'text')
        .addColumn('public_key_sha256', 'text', (c) => c.notNull())
        .addColumn('pem', 'text', (c) => c.notNull())
        .addColumn('not_before', 'text', (c) => c.notNull())
        .addColumn('not_after', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createIndex('certificates_machine')
        .on('certificates')
        .column('machine_id')
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('details', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_events_client')
        .on('audit_events')
        .columns(['client_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_tenants_tokens': {
    async up(db: Kysely<unknown>) {
      // The role of a client's administrator is named for what it is scoped to.
      await sql`UPDATE users SET role = 'client_admin' WHERE role = 'admin'`.execute(db);

      // A retried bootstrap is found by its token and the machine's public key.
      await db.schema
        .createIndex('certificates_token_key')
        .on('certificates')
        .columns(['token_id', 'public_key_sha256'])
        .execute();
      // The active mass-deployment token of a client (`/api/install-tokens/windows/active`).
      await db.schema
        .createIndex('install_tokens_client_kind')
        .on('install_tokens')
        .columns(['client_id', 'kind', 'created_at'])
        .execute();
      await db.schema.createIndex('users_client').on('users').column('client_id').execute();
    },
  },
  '0003_agent_versions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('agent_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('architecture', 'text', (c) => c.notNull())
        .addColumn('checksum_sha256', 'text', (c) => c.notNull())
        .addColumn('file_size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('download_url', 'text', (c) => c.notNull())
        .addColumn('release_date', 'text', (c) => c.notNull())
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        // Staged rollout: the share of machines offered the release, and a pause switch.
        .addColumn('rollout_percent', 'integer', (c) => c.notNull().defaultTo(100))
        .addColumn('rollout_paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('agent_versions_release', [
          'version',
          'channel',
          'platform',
          'architecture',
        ])
        .execute();
      await db.schema
        .createIndex('agent_versions_target')
        .on('agent_versions')
        .columns(['channel', 'platform', 'architecture', 'is_active'])
        .execute();

      // A client's machines are offered no release above its pin.
      await db.schema
        .createTable('agent_version_pins')
        .addColumn('client_id', 'text', (c) => c.primaryKey().references('clients.id'))
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();

      // One row: the release catalogue's sequence, raised by every change to the releases and
      // signed into every update offer, so that agents can refuse older statements.
      await db.schema
        .createTable('release_catalogue')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO release_catalogue (id, sequence) VALUES (1, 0)`.execute(db);

      // Statistics per version count machines by the version they report.
      await db.schema
        .createIndex('machines_agent_version')
        .on('machines')
        .column('agent_version')
        .execute();
    },
  },
  '0004_agent_runtime': {
    async up(db: Kysely<unknown>) {
      // The readings of each machine's last heartbeat, for the machines list.
      const readings: [string, 'bigint' | 'real'][] = [
        ['uptime_seconds', 'bigint'],
        ['cpu_percent', 'real'],
        ['memory_total_bytes', 'bigint'],
        ['memory_used_bytes', 'bigint'],
        ['disk_total_bytes', 'bigint'],
        ['disk_used_bytes', 'bigint'],
        ['temperature_c', 'real'],
      ];
      for (const [column, type] of readings) {
        await db.schema.alterTable('machines').addColumn(column, type).execute();
      }

      // A renewed certificate names the one it replaces; see `settleRenewal`.
      await db.schema.alterTable('certificates').addColumn('renews_serial', 'text').execute();

      await db.schema
        .createTable('machine_inventory')
        .addColumn('machine_id', 'text', (c) => c.primaryKey().references('machines.id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('collected_at', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('os_name', 'text', (c) => c.notNull())
        .addColumn('os_version', 'text')
        .addColumn('cpu_model', 'text', (c) => c.notNull())
        .addColumn('memory_total_bytes', 'bigint', (c) => c.notNull())
        .addColumn('report', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('machine_metrics')
        .addColumn('machine_id', 'text', (c) => c.notNull().references('machines.id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('cpu_percent', 'real')
        .addColumn('memory_used_bytes', 'bigint')
        .addColumn('memory_total_bytes', 'bigint')
        .addColumn('temperature_c', 'real')
        .addColumn('sample', 'text', (c) => c.notNull())
        // A batch posted again after a lost answer stores each sample once.
        .addPrimaryKeyConstraint('machine_metrics_key', ['machine_id', 'at'])
        .execute();
      await db.schema
        .createIndex('machine_metrics_at')
        .on('machine_metrics')
        .column('at')
        .execute();
    },
  },
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** The store could not be opened or brought up to date; `code` tells which, for scripts. */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly code: 'database_unavailable' | 'migration_failed',
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    // The cause says what went wrong (a refused connection, a failed statement); it names no
    // password, and without it an operator cannot tell an unreachable database from a bug.
    const reason = error instanceof Error ? `: ${error.message}` : '';
    if (failed) {
      const message = `database migration ${failed.migrationName} failed${reason}`;
      throw new DatabaseError(message, 'migration_failed', { cause: error });
    }
    throw new DatabaseError(`cannot open the database${reason}`, 'database_unavailable', {
      cause: error,
    });
  }
}
