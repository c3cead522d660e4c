import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CommandResult, CommandRunner } from './commands';
import { windowsPaths } from './paths';
import type { WindowsPlatform } from './platform';
import { SERVICE_STATES, type ServiceState } from './service';
import { WRAPPER_ASSETS } from './wrapper';

/**
 * A stand-in for Windows where Windows cannot exist (tests and work on Linux): the installer's
 * commands are recorded and answered the way Windows answers them (same layouts as the
 * outputs in fixtures/), the service manager is a small state machine, and the program and
 * data folders live under a scratch directory. File work is real; nothing of the host changes.
 */
export interface DryRunOptions {
  root: string;
  /** CurrentBuildNumber (default 19045, Windows 10 22H2). */
  build?: number;
  productName?: string;
  machineGuid?: string;
  administrator?: boolean;
  /** The service stops again at once after a start, as a broken service does. */
  serviceFailsToStart?: boolean;
  ownExecutable?: string;
}

export interface RecordedCommand {
  tool: string;
  args: string[];
}

interface SimulatedService {
  state: ServiceState;
  binPath: string;
  start: string;
  failureActions?: string;
}

const STATE_CODES = Object.fromEntries(
  Object.entries(SERVICE_STATES).map(([code, name]) => [name, Number(code)]),
) as Record<ServiceState, number>;

export class SimulatedWindows implements CommandRunner {
  readonly commands: RecordedCommand[] = [];
  readonly services = new Map<string, SimulatedService>();
  readonly registry = new Map<string, Map<string, string>>();

  constructor(private readonly options: DryRunOptions) {}

  async run(file: string, args: readonly string[]): Promise<CommandResult> {
    const tool = path.win32.basename(file).toLowerCase();
    this.commands.push({ tool, args: [...args] });
    if (tool === 'sc.exe') return this.sc(args);
    if (tool === 'reg.exe') return this.reg(args);
    if (tool === 'icacls.exe')
      return ok('Successfully processed 1 files; Failed processing 0 files\r\n');
    if (tool === 'taskkill.exe') return ok('');
    return { code: 9009, stdout: '', stderr: `${tool} is not simulated` };
  }

  /** The recorded commands of one tool, as command lines, for assertions. */
  lines(tool: string): string[] {
    return this.commands.filter((c) => c.tool === tool).map((c) => c.args.join(' '));
  }

  private sc(args: readonly string[]): CommandResult {
    const [verb, name = ''] = args;
    const service = this.services.get(name);
    const setting = (key: string) => {
      const index = args.indexOf(`${key}=`);
      return index >= 0 ? args[index + 1] : undefined;
    };
    if (verb === 'create') {
      if (service)
        return fail(
          1073,
          '[SC] CreateService FAILED 1073:\r\n\r\nThe specified service already exists.\r\n',
        );
      this.services.set(name, {
        state: 'stopped',
        binPath: setting('binPath') ?? '',
        start: setting('start') ?? 'demand',
      });
      return ok('[SC] CreateService SUCCESS\r\n');
    }
    if (!service) {
      return fail(
        1060,
        '[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n',
      );
    }
    switch (verb) {
      case 'config':
        service.binPath = setting('binPath') ?? service.binPath;
        service.start = setting('start') ?? service.start;
        return ok('[SC] ChangeServiceConfig SUCCESS\r\n');
      case 'description':
        return ok('[SC] ChangeServiceConfig2 SUCCESS\r\n');
      case 'failureflag':
        return ok('[SC] ChangeServiceConfig2 SUCCESS\r\n');
      case 'failure':
        service.failureActions = setting('actions');
        return ok('[SC] ChangeServiceConfig2 SUCCESS\r\n');
      case 'start':
        if (service.state === 'running')
          return fail(
            1056,
            '[SC] StartService FAILED 1056:\r\n\r\nAn instance of the service is already running.\r\n',
          );
        service.state = this.options.serviceFailsToStart ? 'stopped' : 'running';
        return ok(queryText(name, this.options.serviceFailsToStart ? 'start_pending' : 'running'));
      case 'stop':
        if (service.state !== 'running')
          return fail(
            1062,
            '[SC] ControlService FAILED 1062:\r\n\r\nThe service has not been started.\r\n',
          );
        service.state = 'stopped';
        return ok(queryText(name, 'stop_pending'));
      case 'query':
      case 'queryex':
        return ok(queryText(name, service.state, verb === 'queryex' ? 4312 : undefined));
      case 'delete':
        this.services.delete(name);
        return ok('[SC] DeleteService SUCCESS\r\n');
      default:
        return fail(1, `sc ${verb} is not simulated`);
    }
  }

  private reg(args: readonly string[]): CommandResult {
    const [verb, key = ''] = args;
    const lower = key.toLowerCase();
    if (verb === 'query' && lower.endsWith('\\windows nt\\currentversion')) {
      const build = this.options.build ?? 19045;
      return ok(
        `\r\n${key}\r\n` +
          `    CurrentBuildNumber    REG_SZ    ${build}\r\n` +
          `    CurrentMajorVersionNumber    REG_DWORD    0x${(build >= 10240 ? 10 : 6).toString(16)}\r\n` +
          '    CurrentMinorVersionNumber    REG_DWORD    0x0\r\n' +
          '    CurrentVersion    REG_SZ    6.3\r\n' +
          `    ProductName    REG_SZ    ${this.options.productName ?? 'Windows 10 Pro'}\r\n\r\n`,
      );
    }
    if (verb === 'query' && lower.endsWith('\\microsoft\\cryptography')) {
      const guid = this.options.machineGuid ?? '6f1c3a52-9d0e-4b7a-8c21-5e4d3b2a1f00';
      return ok(`\r\n${key}\r\n    MachineGuid    REG_SZ    ${guid}\r\n\r\n`);
    }
    if (verb === 'add') {
      const values = this.registry.get(lower) ?? new Map<string, string>();
      const name = args[args.indexOf('/v') + 1];
      const data = args[args.indexOf('/d') + 1];
      if (name && data !== undefined) values.set(name, data);
      this.registry.set(lower, values);
      return ok('The operation completed successfully.\r\n\r\n');
    }
    if (verb === 'delete') {
      if (!this.registry.delete(lower))
        return fail(
          1,
          'ERROR: The system was unable to find the specified registry key or value.\r\n',
        );
      return ok('The operation completed successfully.\r\n\r\n');
    }
    return fail(1, 'ERROR: The system was unable to find the specified registry key or value.\r\n');
  }
}

function ok(stdout: string): CommandResult {
  return { code: 0, stdout, stderr: '' };
}

function fail(code: number, stdout: string): CommandResult {
  return { code, stdout, stderr: '' };
}

function queryText(name: string, state: ServiceState, pid?: number): string {
  const code = STATE_CODES[state];
  return [
    '',
    `SERVICE_NAME: ${name}`,
    '        TYPE               : 10  WIN32_OWN_PROCESS',
    `        STATE              : ${code}  ${state.toUpperCase()}`,
    '        WIN32_EXIT_CODE    : 0  (0x0)',
    '        SERVICE_EXIT_CODE  : 0  (0x0)',
    '        CHECKPOINT         : 0x0',
    '        WAIT_HINT          : 0x0',
    ...(pid ? [`        PID                : ${pid}`, '        FLAGS              :'] : []),
    '',
  ].join('\r\n');
}

/** WinSW from node_modules (the build carries the same files inside the executable). */
function wrapperFromNodeModules() {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('node-windows/package.json')), 'bin/winsw');
  return {
    exe: fs.readFileSync(path.join(dir, WRAPPER_ASSETS.exe)),
    runtimeConfig: fs.readFileSync(path.join(dir, WRAPPER_ASSETS.runtimeConfig)),
  };
}

export interface DryRunPlatform extends WindowsPlatform {
  readonly windows: SimulatedWindows;
  readonly detached: RecordedCommand[];
}

export function dryRunPlatform(options: DryRunOptions): DryRunPlatform {
  const programFiles = path.join(options.root, 'Program Files');
  const programData = path.join(options.root, 'ProgramData');
  const tempDir = path.join(options.root, 'Temp');
  for (const dir of [programFiles, programData, tempDir]) fs.mkdirSync(dir, { recursive: true });
  const windows = new SimulatedWindows(options);
  const detached: RecordedCommand[] = [];
  return {
    name: 'dry-run',
    paths: windowsPaths(
      { ProgramW6432: programFiles, ProgramData: programData, SystemRoot: 'C:\\Windows' },
      path.posix,
    ),
    path: path.posix,
    runner: windows,
    ownExecutable: options.ownExecutable,
    tempDir,
    windows,
    detached,
    async isAdministrator() {
      return options.administrator ?? true;
    },
    async runElevated() {
      throw new Error('the dry run never elevates');
    },
    serviceWrapper: wrapperFromNodeModules,
    spawnDetached(file, args) {
      detached.push({ tool: path.win32.basename(file).toLowerCase(), args: [...args] });
    },
  };
}
