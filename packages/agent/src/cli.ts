import fs from 'node:fs';
import { CHANNELS, type Channel } from '@optralis/protocol';
import { Command, CommanderError, Option } from 'commander';
import { enroll } from './enroll';
import { readEnrollment } from './enrollment';
import { AgentError } from './errors';
import { hostname, machineHardwareId } from './hardware';
import { createLog } from './log';
import { currentArch, currentPlatform, defaultConfigDir } from './platform';
import { runAgent } from './run';
import { runWatchdog } from './update/watchdog';
import { AGENT_VERSION } from './version';

function channelOption(): Option {
  return new Option('--channel <channel>', 'release channel the machine follows').choices(CHANNELS);
}

/** Writes with fs.writeSync: under Wine, console output to a pipe fails (EBADF). */
function print(line: string): void {
  fs.writeSync(1, `${line}\n`);
}

/**
 * The token comes from `--token-file` (`-` for standard input), the OPTRALIS_TOKEN variable, or
 * `--token`. The first two keep it out of the process list that every user can read.
 */
function readToken(options: { token?: string; tokenFile?: string }): string {
  if (options.tokenFile) {
    const text = fs.readFileSync(options.tokenFile === '-' ? 0 : options.tokenFile, 'utf8');
    return text.trim();
  }
  const token = process.env.OPTRALIS_TOKEN?.trim() || options.token?.trim();
  if (!token) {
    throw new AgentError(
      'token_missing',
      'give the install token with --token-file or OPTRALIS_TOKEN',
      64,
    );
  }
  return token;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('optralis-agent')
    .description('Optralis monitoring agent')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('version')
    .description('print the agent version, platform and architecture')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const info = { version: AGENT_VERSION, platform: currentPlatform(), arch: currentArch() };
      print(
        options.json
          ? JSON.stringify(info)
          : `optralis-agent ${info.version} ${info.platform}/${info.arch}`,
      );
    });

  program
    .command('identity')
    .description('print the host name and hardware id this machine enrolls with')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const info = { hostname: hostname(), hardware_id: machineHardwareId() ?? null };
      print(
        options.json
          ? JSON.stringify(info)
          : `${info.hostname} ${info.hardware_id ?? '(no hardware id)'}`,
      );
    });

  program
    .command('enroll')
    .description('make this machine a key pair and trade an install token for its certificate')
    .requiredOption('--url <url>', 'public URL of the Optralis server')
    .option('--token <token>', 'install token (prefer --token-file or OPTRALIS_TOKEN)')
    .option('--token-file <file>', 'read the install token from a file, or - for standard input')
    .option('--config-dir <dir>', 'where config.json and the certificates go', defaultConfigDir())
    .option('--hostname <name>', 'host name to report (default: this machine)')
    .addOption(channelOption())
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        url: string;
        token?: string;
        tokenFile?: string;
        configDir: string;
        hostname?: string;
        channel?: Channel;
        json?: boolean;
      }) => {
        const result = await enroll({
          url: options.url,
          token: readToken(options),
          configDir: options.configDir,
          hostname: options.hostname,
          channel: options.channel,
        });
        print(
          options.json
            ? JSON.stringify({
                client_id: result.clientId,
                machine_id: result.machineId,
                config: result.configFile,
                binary_url: result.binaryUrl,
              })
            : `enrolled as machine ${result.machineId}; configuration written to ${result.configFile}`,
        );
      },
    );

  program
    .command('enrollment')
    .description('show the machine this configuration is enrolled as; fails without a usable one')
    .option('--config-dir <dir>', 'directory holding config.json', defaultConfigDir())
    .option('--json', 'print JSON')
    .action((options: { configDir: string; json?: boolean }) => {
      const found = readEnrollment(options.configDir);
      print(
        options.json
          ? JSON.stringify({
              client_id: found.clientId,
              machine_id: found.machineId,
              api_url: found.apiUrl,
              public_url: found.publicUrl,
              channel: found.channel,
              certificate_expires_at: found.certificateExpiresAt,
            })
          : `machine ${found.machineId}, certificate valid until ${found.certificateExpiresAt}`,
      );
    });

  program
    .command('run')
    .description('run the agent (the service entry point)')
    .option('--config-dir <dir>', 'directory holding config.json', defaultConfigDir())
    .option('--once', 'send one heartbeat and exit with its result')
    .option('--verbose', 'log debug detail')
    .action(async (options: { configDir: string; once?: boolean; verbose?: boolean }) => {
      const log = createLog(options.verbose ? 'debug' : 'info');
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await runAgent({
        configDir: options.configDir,
        once: options.once === true,
        log,
        signal: controller.signal,
      });
    });

  program
    .command('update-watchdog', { hidden: true })
    .description('restore the previous binary if a new version does not confirm in time')
    .option('--config-dir <dir>', 'directory holding config.json', defaultConfigDir())
    .action(async (options: { configDir: string }) => {
      await runWatchdog(options.configDir, createLog('info'));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof AgentError) {
      process.stderr.write(`optralis-agent: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`optralis-agent: ${(error as Error).message}\n`);
    return 1;
  }
}
