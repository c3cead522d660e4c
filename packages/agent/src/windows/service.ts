import { SERVICE_DISPLAY_NAME, SERVICE_NAME, systemTool, type WindowsPaths } from './paths';

/**
 * The Windows service. Node cannot answer the service control manager itself, so the service
 * program is WinSW (Windows Service Wrapper, shipped on npm inside `node-windows`), which runs
 * `optralis-agent.exe run` and restarts it. The service is created with `sc.exe` rather than
 * with WinSW's own `install`, so that the same commands work whichever wrapper is in place.
 */

export const SERVICE_DESCRIPTION = 'Optralis monitoring agent (heartbeat, inventory, updates)';

/**
 * Failure actions: restart after 5 s, 10 s, then 60 s; the count is reset after a day without
 * failure. An agent exiting to finish an update (status 75) is a failure too: that is how it is
 * started again on its new binary.
 */
export const FAILURE_RESET_SECONDS = 86_400;
export const FAILURE_ACTIONS = 'restart/5000/restart/10000/restart/60000';

export type ServiceCommand = { file: string; args: string[]; critical: boolean };

/** The service's binary path: quoted, because an unquoted path with spaces can be hijacked. */
export function serviceBinaryPath(paths: Pick<WindowsPaths, 'wrapperExe'>): string {
  return `"${paths.wrapperExe}"`;
}

/**
 * Creates the service, or brings an existing one back to the expected settings (repair), then
 * sets its description and failure actions. `critical` commands must succeed.
 */
export function serviceSetupCommands(paths: WindowsPaths, exists: boolean): ServiceCommand[] {
  const sc = systemTool(paths, 'sc.exe');
  const settings = [
    'binPath=',
    serviceBinaryPath(paths),
    'start=',
    'auto',
    'DisplayName=',
    SERVICE_DISPLAY_NAME,
  ];
  return [
    {
      file: sc,
      args: exists ? ['config', SERVICE_NAME, ...settings] : ['create', SERVICE_NAME, ...settings],
      critical: true,
    },
    { file: sc, args: ['description', SERVICE_NAME, SERVICE_DESCRIPTION], critical: false },
    {
      file: sc,
      args: [
        'failure',
        SERVICE_NAME,
        'reset=',
        String(FAILURE_RESET_SECONDS),
        'actions=',
        FAILURE_ACTIONS,
      ],
      critical: true,
    },
    // Failure actions also when the service stops by itself with an error status.
    { file: sc, args: ['failureflag', SERVICE_NAME, '1'], critical: false },
  ];
}

export function serviceCommand(
  paths: Pick<WindowsPaths, 'systemRoot'>,
  verb: 'start' | 'stop' | 'delete' | 'query' | 'queryex',
): { file: string; args: string[] } {
  return { file: systemTool(paths, 'sc.exe'), args: [verb, SERVICE_NAME] };
}

/** Service states as `sc query` numbers them (SERVICE_STOPPED = 1 … SERVICE_PAUSED = 7). */
export const SERVICE_STATES = {
  1: 'stopped',
  2: 'start_pending',
  3: 'stop_pending',
  4: 'running',
  5: 'continue_pending',
  6: 'pause_pending',
  7: 'paused',
} as const;

export type ServiceState = (typeof SERVICE_STATES)[keyof typeof SERVICE_STATES];

export interface ServiceStatus {
  state: ServiceState;
  pid?: number | undefined;
  win32ExitCode?: number | undefined;
}

/**
 * Reads `sc query` / `sc queryex` output. Only the field names and numbers are read: sc
 * translates the rest of its output (a French Windows prints "[SC] EnumQueryServicesStatus:…"
 * messages in French) but never these.
 */
export function parseScQuery(output: string): ServiceStatus | undefined {
  const state = /^\s*STATE\s*:\s*(\d+)/m.exec(output);
  const code = Number(state?.[1]) as keyof typeof SERVICE_STATES;
  const name = SERVICE_STATES[code];
  if (!name) return undefined;
  const pid = /^\s*PID\s*:\s*(\d+)/m.exec(output);
  const exit = /^\s*WIN32_EXIT_CODE\s*:\s*(\d+)/m.exec(output);
  return {
    state: name,
    pid: pid ? Number(pid[1]) || undefined : undefined,
    win32ExitCode: exit ? Number(exit[1]) : undefined,
  };
}

/** sc's exit status when the service does not exist (ERROR_SERVICE_DOES_NOT_EXIST). */
export const SERVICE_DOES_NOT_EXIST = 1060;
/** ERROR_ACCESS_DENIED: sc was run without administrator rights. */
export const ACCESS_DENIED = 5;

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * WinSW's configuration, beside it under the same name. The agent runs with the configuration
 * directory named explicitly; what it prints goes to the logs folder, rolled by size. Restarts
 * are the service's failure actions: WinSW 1.x exits with its child's status when the child
 * ends on its own, and exits without reporting "stopped" when that status is not 0, which the
 * service control manager treats as a failure.
 */
export function winswConfig(paths: WindowsPaths): string {
  const argumentsLine = `run --config-dir "${paths.dataDir}"`;
  return [
    '<service>',
    `  <id>${SERVICE_NAME}</id>`,
    `  <name>${xml(SERVICE_DISPLAY_NAME)}</name>`,
    `  <description>${xml(SERVICE_DESCRIPTION)}</description>`,
    `  <executable>${xml(paths.agentExe)}</executable>`,
    `  <arguments>${xml(argumentsLine)}</arguments>`,
    `  <workingdirectory>${xml(paths.dataDir)}</workingdirectory>`,
    `  <logpath>${xml(paths.logsDir)}</logpath>`,
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>5</keepFiles>',
    '  </log>',
    '  <stoptimeout>15 sec</stoptimeout>',
    '</service>',
    '',
  ].join('\r\n');
}
