import type { Command } from 'commander';
import { loadConfig } from '../config';
import { initReleaseKey, loadReleaseKey } from '../releases/signing';
import { emit } from './output';

/** `optralis release-key init|show`: the key that signs update offers, apart from the CA. */
export function registerReleaseKey(program: Command, json: () => boolean): void {
  const key = program.command('release-key').description('the key that signs agent updates');
  key
    .command('init')
    .description('create the release signing key (ed25519) unless one exists')
    .option(
      '--dir <dir>',
      'key directory (default: OPTRALIS_RELEASE_KEY_DIR or DATA_DIR/release-key)',
    )
    .action((options: { dir?: string }) => {
      const dir = options.dir ?? loadConfig().releaseKeyDir;
      const result = initReleaseKey(dir);
      emit(json(), { status: result.status, dir, key_id: result.keyId }, () =>
        result.status === 'created'
          ? [
              `Created the release signing key ${result.keyId} in ${dir} (release.key, mode 0600).`,
              'Back it up apart from the CA: agents trust only this key for updates, and a',
              'server with a new key cannot update the agents enrolled with the old one.',
            ].join('\n')
          : `A release key (${result.keyId}) already exists in ${dir}; it was left unchanged.`,
      );
    });
  key
    .command('show')
    .description('print the public key that agents receive at enrollment')
    .option(
      '--dir <dir>',
      'key directory (default: OPTRALIS_RELEASE_KEY_DIR or DATA_DIR/release-key)',
    )
    .action((options: { dir?: string }) => {
      const info = loadReleaseKey(options.dir ?? loadConfig().releaseKeyDir).info;
      emit(json(), info, () => `${info.algorithm} key ${info.key_id}\n${info.public_key.trim()}`);
    });
}
