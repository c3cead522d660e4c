import path from 'node:path';
import type { Command } from 'commander';
import {
  activateCa,
  caExists,
  initCa,
  loadCa,
  loadCaTrust,
  PREVIOUS_DIR,
  PROXY_TRUST_DIR,
  RotationError,
  retireCa,
  rotateCa,
  x509,
} from '../ca';
import { loadConfig } from '../config';
import { CliError, emit } from './output';
import { auditServerAction, openCliStore } from './store';

/** What the operator runs so that Caddy reads the CA files again (deploy/docker-compose.yml). */
const PROXY_RELOAD = 'docker exec optralis-caddy caddy reload --config /etc/caddy/Caddyfile';

/** Machines whose newest valid certificate was signed by the CA in `caDir`. */
async function machinesOnCa(caDir: string, now: Date): Promise<string[]> {
  const previous = await loadCa(caDir);
  const { db } = await openCliStore();
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
      await auditServerAction('ca.created', {
        ca_dir: dir,
        not_after: result.notAfter.toISOString(),
        replaced: Boolean(result.backup),
      });
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
    .description('rotation step 1: publish a new CA (trusted, not yet issuing)')
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .action(async (options: { dir?: string }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const result = await rotateCa(dir, new Date()).catch(rethrowRotation);
      await auditServerAction('ca.rotation_published', {
        ca_dir: dir,
        not_after: result.notAfter.toISOString(),
      });
      emit(json(), { ...result, notAfter: result.notAfter.toISOString() }, () =>
        [
          `A new CA is published (valid until ${result.notAfter.toISOString()}); the current CA`,
          'still issues every certificate. Running servers and agents pick the new trust bundle',
          `up within seconds. Reload the proxy so that it trusts the new CA (files in`,
          `${path.join(dir, PROXY_TRUST_DIR)}): ${PROXY_RELOAD}`,
          'Then run "optralis ca activate".',
        ].join('\n'),
      );
    });

  ca.command('activate')
    .description('rotation step 2: the new CA issues, agents renew onto it')
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .action(async (options: { dir?: string }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const result = rotationStep(() => activateCa(dir));
      const renewing = await machinesOnCa(path.join(dir, PREVIOUS_DIR), new Date());
      await auditServerAction('ca.rotation_activated', {
        ca_dir: dir,
        machines_to_renew: renewing.length,
      });
      emit(
        json(),
        { ...result, notAfter: result.notAfter.toISOString(), machines_to_renew: renewing.length },
        () =>
          [
            'The new CA issues certificates from now on; the previous one stays trusted.',
            `${renewing.length} machine(s) renew onto the new CA at their next heartbeat.`,
            'When they have, run "optralis ca retire".',
          ].join('\n'),
      );
    });

  ca.command('retire')
    .description('rotation step 3: stop trusting the previous CA')
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .option('--force', 'retire even though some machines still use the previous CA')
    .action(async (options: { dir?: string; force?: boolean }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const now = new Date();
      const previous = path.join(dir, PREVIOUS_DIR);
      const remaining = caExists(previous) ? await machinesOnCa(previous, now) : [];
      if (remaining.length > 0 && !options.force) {
        throw new CliError(
          `${remaining.length} machine(s) still use a certificate of the previous CA and would ` +
            'be cut off; wait for them to renew (they do at their next heartbeat), or use ' +
            `--force. First ones: ${remaining.slice(0, 5).join(', ')}`,
          'machines_on_previous_ca',
        );
      }
      const result = rotationStep(() => retireCa(dir, now));
      await auditServerAction('ca.rotation_retired', {
        ca_dir: dir,
        machines_cut_off: remaining.length,
        forced: options.force === true,
      });
      emit(json(), { ...result, machines_cut_off: remaining.length }, () =>
        [
          `The previous CA is no longer trusted; its files were moved to ${result.retiredTo}.`,
          `Reload the proxy so that it stops accepting it: ${PROXY_RELOAD}`,
        ].join('\n'),
      );
    });

  ca.command('status')
    .description('the issuing CA and, during a rotation, the next or previous one')
    .option('--dir <dir>', 'CA directory (default: OPTRALIS_CA_DIR or DATA_DIR/ca)')
    .action(async (options: { dir?: string }) => {
      const dir = options.dir ?? loadConfig().caDir;
      const trust = await loadCaTrust(dir);
      const describe = (ca: typeof trust.active | undefined) =>
        ca && { subject: ca.certificate.subject, not_after: ca.certificate.notAfter.toISOString() };
      const phase = trust.next ? 'published' : trust.previous ? 'activated' : 'none';
      const status = {
        rotation: phase,
        issuing: describe(trust.active),
        next: describe(trust.next) ?? null,
        previous: describe(trust.previous) ?? null,
      };
      const steps: Record<string, string> = {
        none: 'No rotation is under way.',
        published: 'Step 1 done (rotate): reload the proxy, then run "optralis ca activate".',
        activated: 'Step 2 done (activate): once agents have renewed, run "optralis ca retire".',
      };
      emit(json(), status, () =>
        [
          `Issuing: ${status.issuing?.subject} (until ${status.issuing?.not_after})`,
          status.next ? `Next:    ${status.next.subject} (trusted, not issuing)` : '',
          status.previous ? `Previous: ${status.previous.subject} (trusted until retired)` : '',
          steps[phase] ?? '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}

/** Runs a rotation step, turning its refusal into a CLI error (exit 1 with the reason). */
function rotationStep<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    return rethrowRotation(error);
  }
}

function rethrowRotation(error: unknown): never {
  if (error instanceof RotationError) throw new CliError(error.message, 'rotation_refused');
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new CliError('no rotation is under way (there is no previous CA)', 'rotation_refused');
  }
  throw error;
}
