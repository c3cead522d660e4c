import fs from 'node:fs';
import path from 'node:path';
import { CHANNELS, type Channel } from '@optralis/protocol';
import { Argument, Command, CommanderError, Option } from 'commander';
import { moveToChannel } from './channel';
import { loadAgentConfig } from './config';
import { type EnrollResult, enroll, enrollFromPayload } from './enroll';
import type { RetryNotice } from './enroll-post';
import { readEnrollment } from './enrollment';
import { AgentError } from './errors';
import { hostname, machineHardwareId } from './hardware';
import { isInstallerCommandLine, runInstallerCommand } from './install/main';
import { createFileLog, createLog, defaultLogDir, type LogLevel } from './log';
import { readOwnPayload } from './payload';
import { currentArch, currentPlatform, defaultConfigDir } from './platform';
import { runAgent } from './run';
import { runWatchdog } from './update/watchdog';
import { AGENT_VERSION } from './version';
import { windowsPaths } from './windows/paths';

/** Writes with fs.writeSync: under Wine, console output to a pipe fails (EBADF). */
function print(line: string): void {
  fs.writeSync(1, `${line}\n`);
}

/** Tells the operator, on standard error, that the enrollment is being sent again. */
function noticeRetry(notice: RetryNotice): void {
  const seconds = Math.max(1, Math.round(notice.delayMs / 1000));
  const line =
    `enrollment: no usable answer (${notice.reason}); trying again in ${seconds} s ` +
    `(attempt ${notice.attempt} of ${notice.attempts})\n`;
  try {
    fs.writeSync(2, line);
  } catch {
    // Standard error may be closed (a service); the retry goes on regardless.
  }
}

/** The token file's text; a file that cannot be read is named, never shown. */
function readTokenFile(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const where = file === '-' ? 'standard input' : file;
    throw new AgentError(
      'token_unreadable',
      `cannot read the install token from ${where} (${reason})`,
      66,
    );
  }
}

/**
 * The token comes from `--token-file` (`-` for standard input), the OPTRALIS_TOKEN variable, or
 * `--token`. The first two keep it out of the process list that every user can read. Given in
 * more than one way with different values, it is refused: enrolling with the one the operator
 * did not mean would spend the wrong token. The message names the sources, never the values.
 */
function readToken(options: { token?: string; tokenFile?: string }): string {
  const given: [string, string][] = [];
  if (options.tokenFile) {
    given.push(['--token-file', readTokenFile(options.tokenFile).trim()]);
  }
  const fromEnv = process.env.OPTRALIS_TOKEN?.trim();
  if (fromEnv) given.push(['OPTRALIS_TOKEN', fromEnv]);
  const fromFlag = options.token?.trim();
  if (fromFlag) given.push(['--token', fromFlag]);

  const [first] = given;
  if (!first?.[1]) {
    throw new AgentError(
      'token_missing',
      'give the install token with --token-file or OPTRALIS_TOKEN',
      64,
    );
  }
  if (given.some(([, value]) => value !== first[1])) {
    const sources = given.map(([source]) => source).join(' and ');
    throw new AgentError(
      'token_conflict',
      `${sources} give different install tokens; give the token one way only`,
      64,
    );
  }
  return first[1];
}

/**
 * Where the service writes agent.log: `--log-dir`, else `log_dir` in config.json, else the
 * specification's directory (`/var/log/optralis-agent`, `C:\ProgramData\optralis-agent\logs`)
 * for the installed agent, or `logs` beside any other configuration directory.
 */
function logDirectory(configDir: string, flag: string | undefined): string {
  if (flag) return path.resolve(flag);
  try {
    const configured = loadAgentConfig(configDir).config.log_dir;
    if (configured) return path.resolve(configDir, configured);
  } catch {
    // An unreadable config.json is reported by `run` itself, once the log is open.
  }
  return defaultLogDir(configDir, defaultConfigDir(), windowsPaths().logsDir);
}

interface EnrollCommandOptions {
  url?: string;
  caFile?: string;
  token?: string;
  tokenFile?: string;
  configDir: string;
  hostname?: string;
  channel?: Channel;
  json?: boolean;
}

function readCaFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError('ca_unreadable', `cannot read the CA file ${file} (${reason})`, 66);
  }
}

/**
 * `--url` with a token enrolls with them; neither enrolls with this executable's own payload
 * (a personalized installer), whatever the file is called.
 */
function enrollCommand(options: EnrollCommandOptions): Promise<EnrollResult> {
  const tokenGiven = Boolean(options.token || options.tokenFile || process.env.OPTRALIS_TOKEN);
  if (options.url) {
    return enroll({
      url: options.url,
      token: readToken(options),
      configDir: options.configDir,
      hostname: options.hostname,
      channel: options.channel,
      onRetry: noticeRetry,
      pinnedCaPem: options.caFile === undefined ? undefined : readCaFile(options.caFile),
    });
  }
  if (tokenGiven) {
    throw new AgentError('url_missing', 'give the server with --url along with the token', 64);
  }
  const payload = readOwnPayload();
  if (!payload) {
    throw new AgentError(
      'url_missing',
      'give --url and a token, or run a personalized installer: this executable carries no ' +
        'installer payload',
      64,
    );
  }
  return enrollFromPayload(payload, { configDir: options.configDir, hostname: options.hostname });
}

export async function main(argv: string[]): Promise<number> {
  // The same executable is the Windows installer: no arguments (a double-click), `uninstall`
  // or the specification's single-dash flags (-silent, -url…) go there.
  if (isInstallerCommandLine(argv)) return runInstallerCommand(argv);

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
    .description(
      'make this machine a key pair and trade an install token for its certificate; without ' +
        '--url and token, use what this personalized installer carries',
    )
    .option('--url <url>', 'public URL of the Optralis server')
    .option('--token <token>', 'install token (prefer --token-file or OPTRALIS_TOKEN)')
    .option('--token-file <file>', 'read the install token from a file, or - for standard input')
    .option('--config-dir <dir>', 'where config.json and the certificates go', defaultConfigDir())
    .option('--hostname <name>', 'host name to report (default: this machine)')
    .option(
      '--ca-file <file>',
      'the Optralis CA this machine must find: the server is asked whether it trusts it before ' +
        'the token is spent, and nothing is written unless its answer names it',
    )
    .addOption(
      new Option('--channel <channel>', 'release channel the machine follows').choices(CHANNELS),
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: EnrollCommandOptions) => {
      const result = await enrollCommand(options);
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
    });

  program
    .command('channel')
    .description('move this enrolled machine to another release channel (server, then config)')
    .addArgument(new Argument('<channel>', 'stable or beta').choices(CHANNELS))
    .option('--config-dir <dir>', 'directory holding config.json', defaultConfigDir())
    .option('--json', 'print JSON')
    .action(async (channel: Channel, options: { configDir: string; json?: boolean }) => {
      const moved = await moveToChannel(options.configDir, channel);
      print(
        options.json
          ? JSON.stringify({ machine_id: moved.machineId, from: moved.from, channel })
          : `machine ${moved.machineId} moved from ${moved.from} to ${channel}`,
      );
    });

  program
    .command('payload')
    .description('show what this personalized installer carries (never its token or key)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const payload = readOwnPayload();
      if (!payload) {
        throw new AgentError('payload_missing', 'this executable carries no installer payload', 66);
      }
      const { config } = payload;
      const shown = { ...config, release_key_id: payload.releaseKey?.key_id ?? null };
      print(
        options.json
          ? JSON.stringify(shown)
          : Object.entries(shown)
              .map(([key, value]) => `${key}: ${value ?? '-'}`)
              .join('\n'),
      );
    });

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
    .option('--log-dir <dir>', 'where agent.log goes (default: log_dir of config.json)')
    .option('--once', 'send one heartbeat and exit with its result')
    .option('--verbose', 'log debug detail')
    .addOption(new Option('--sys-root <dir>', 'root of /proc and /sys (tests)').hideHelp())
    .action(
      async (options: {
        configDir: string;
        logDir?: string;
        once?: boolean;
        verbose?: boolean;
        sysRoot?: string;
      }) => {
        const level: LogLevel = options.verbose ? 'debug' : 'info';
        const log = createFileLog({
          dir: logDirectory(options.configDir, options.logDir),
          level,
          // Windows services have no console (their wrapper keeps its own output files).
          ...(process.platform !== 'win32' || process.stderr.isTTY
            ? { mirror: (line: string) => process.stderr.write(line) }
            : {}),
        });
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        try {
          await runAgent({
            configDir: options.configDir,
            once: options.once === true,
            log,
            signal: controller.signal,
            beforeExit: () => log.close(),
            ...(options.sysRoot ? { sysRoot: path.resolve(options.sysRoot) } : {}),
          });
        } catch (error) {
          if (!(error instanceof AgentError) || error.code !== 'update_restart') {
            log.error('the agent stopped', { reason: (error as Error).message });
          }
          throw error;
        } finally {
          await log.close();
        }
      },
    );

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
    // A usage error (unknown command or option, missing argument) is sysexits' 64, as documented.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 64;
    if (error instanceof AgentError) {
      process.stderr.write(`optralis-agent: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`optralis-agent: ${(error as Error).message}\n`);
    return 1;
  }
}
