#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCa } from './cli/ca';
import { CliError } from './cli/output';
import { registerReleaseKey } from './cli/release-key';
import { registerServe } from './cli/serve';
import { registerStoreCommands } from './cli/store-commands';
import { registerUsers } from './cli/users';
import { ConfigError } from './config';
import { isAppError } from './errors';

const program = new Command('optralis')
  .description('Optralis server and administration commands')
  .option('--json', 'print machine-readable JSON')
  .showHelpAfterError()
  .exitOverride();

const json = () => program.opts<{ json?: boolean }>().json === true;
registerServe(program, json);
registerCa(program, json);
registerStoreCommands(program, json);
registerUsers(program, json);
registerReleaseKey(program, json);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (isAppError(error)) {
    // The service's own refusal, with its stable code for scripts.
    process.stderr.write(`optralis: ${error.message} (${error.code})\n`);
    process.exit(1);
  }
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`optralis: ${error.message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 2);
  }
  process.stderr.write(`optralis: ${(error as Error).message}\n`);
  process.exit(1);
}
