import path from 'node:path';
import type { Command } from 'commander';
import { initCa, loadCa, PREVIOUS_DIR, RotationError, retireCa, rotateCa, x509 } from '../ca';
import { loadConfig } from '../config';
import { openDatabase } from '../db/database';
import { CliError, emit } from './output';

/** Machines whose newest valid certificate was signed by the CA about to be retired. */
async function machinesOnPreviousCa(caDir: string, now: Date): Promise<string[]> {
  const previous = await loadCa(path.join(caDir, PREVIOUS_DIR));
  const { db } = await openDatabase(loadConfig());
  try {
    const rows = await db
      .selectFrom('certificates')
      .innerJoin('machines', 'machines.id', 'certificates.machine_id')
      .select(['certificates.machine_id', 'certificates.pem', 'certificates.issued_at'])
      .where('machines.revoked_at', 'is', null)
      .where('certificates.revoked_at', 'is', null)
      .where('certificates.not_after', '>', now.toISOString())
      .orderBy('certificates.issued_at', 'desc')
      .execute();
    const newest = new Map<string, string>();
    for (const row of rows) if (!newest.has(row.machine_id)) newest.set(row.machine_id, row.pem);
    return [...newest]
      .filter(([, pem]) => new x509.X509Certificate(pem).issuer === previous.certificate.subject)
      .map(([machineId]) => machineId);
  } finally {
    await db.destroy();
  }
}

export function registerCa(program: Command, json: () => boolean): void {
  const ca = program.command('ca').description('the certificate authority of agent identities');
  ca.command('init')
    .description('create the CA (ECDSA P-256, 10 years); an existing CA is kept unless --force')
    .option(
      '--force',
      'replace an existing CA after backing it up (every agent must be reinstalled)',
    )
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .action(async (options: { force?: boolean; dir?: string }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const result = await initCa(dir, { force: options.force === true });
      if (result.status === 'exists') {
        emit(
          json(),
          result,
          () => `A CA already exists in ${dir}; it was left unchanged (use --force to replace it).`,
        );
        return;
      }
      emit(json(), { ...result, notAfter: result.notAfter.toISOString() }, () =>
        [
          `Created a new CA in ${dir} (valid until ${result.notAfter.toISOString()}).`,
          result.backup ? `The previous CA was copied to ${result.backup}.` : '',
          result.backup
            ? 'Every agent certificate of the old CA is now untrusted: reinstall the agents.'
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  ca.command('rotate')
    .description('start a CA rotation: a new CA issues, the current one stays trusted')
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .action(async (options: { dir?: string }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const result = await rotateCa(dir, new Date()).catch(rethrowRotation);
      emit(json(), { ...result, notAfter: result.notAfter.toISOString() }, () =>
        [
          `A new CA issues certificates from now on (valid until ${result.notAfter.toISOString()}).`,
          'The previous CA stays trusted. Running servers pick the change up within seconds;',
          `give the proxy the new ${path.join(dir, 'ca-bundle.crt')} (restart Caddy). Agents`,
          'renew onto the new CA at their next heartbeat; then run "optralis ca retire".',
        ].join('\n'),
      );
    });

  ca.command('retire')
    .description('end a CA rotation: stop trusting the previous CA')
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .option('--force', 'retire even though some machines still use the previous CA')
    .action(async (options: { dir?: string; force?: boolean }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const now = new Date();
      const remaining = await machinesOnPreviousCa(dir, now).catch(rethrowRotation);
      if (remaining.length > 0 && !options.force) {
        throw new CliError(
          `${remaining.length} machine(s) still use a certificate of the previous CA and would ` +
            'be cut off; wait for them to renew (they do at their next heartbeat), or use ' +
            `--force. First ones: ${remaining.slice(0, 5).join(', ')}`,
        );
      }
      const result = (() => {
        try {
          return retireCa(dir, now);
        } catch (error) {
          return rethrowRotation(error);
        }
      })();
      emit(json(), { ...result, machines_cut_off: remaining.length }, () =>
        [
          `The previous CA is no longer trusted; its files were moved to ${result.retiredTo}.`,
          'Restart the proxy so that it reads the new ca-bundle.crt.',
        ].join('\n'),
      );
    });
}

function rethrowRotation(error: unknown): never {
  if (error instanceof RotationError) throw new CliError(error.message);
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new CliError('no rotation is under way (there is no previous CA)');
  }
  throw error;
}
