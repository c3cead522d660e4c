#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCa } from './cli/ca';
import { CliError } from './cli/output';
import { registerReleaseKey } from './cli/release-key';
import { registerServe } from './cli/serve';
import { registerStoreCommands } from './cli/store-commands';
import { registerUsers } from './cli/users';
import { ConfigError } from './config';
import { DatabaseError } from './db/migrations';
import { isAppError } from './errors';

/**
 * `--json` anywhere on the line: known before Commander has parsed it, since a usage error
 * (an unknown command, a missing option) stops the parse.
 */
const json = () => process.argv.slice(2).includes('--json');

const program = new Command('optralis')
  .description('Optralis server and administration commands')
  .option('--json', 'print machine-readable JSON')
  .showHelpAfterError()
  // With --json, a usage error is printed once, as JSON, below: not as text with the help.
  .configureOutput({ writeErr: (text) => (json() ? undefined : process.stderr.write(text)) })
  .exitOverride();

registerServe(program, json);
registerCa(program, json);
registerStoreCommands(program, json);
registerUsers(program, json);
registerReleaseKey(program, json);

/** Prints why the command failed, as text or (`--json`) one JSON object, and exits. */
function fail(code: string, message: string, exitCode: number, codeInText: boolean): never {
  if (json()) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`optralis: ${message}${codeInText ? ` (${code})` : ''}\n`);
  process.exit(exitCode);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version end the parse too, with exit code 0: nothing failed.
    if (error.exitCode === 0 || !json()) process.exit(error.exitCode);
    // A command that only groups others, run alone, answers with its help: no message of its own.
    const message =
      error.code === 'commander.help'
        ? 'no command to run here: --help lists the commands'
        : error.message.replace(/^error: /, '');
    fail('invalid_usage', message, error.exitCode, false);
  }
  // The service's own refusal, with its stable code for scripts.
  if (isAppError(error)) fail(error.code, error.message, 1, true);
  if (error instanceof CliError) fail(error.code, error.message, 1, false);
  if (error instanceof ConfigError) fail('invalid_config', error.message, 2, false);
  if (error instanceof DatabaseError) fail(error.code, error.message, 1, false);
  fail('internal_error', (error as Error).message, 1, false);
}
