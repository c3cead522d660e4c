import type { Command } from 'commander';
import { initCa } from '../ca';
import { loadConfig } from '../config';
import { emit } from './output';

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
}
