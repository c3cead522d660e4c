import path from 'node:path';

/** The Windows service of the specification. */
export const SERVICE_NAME = 'OptralisAgent';
export const SERVICE_DISPLAY_NAME = 'Optralis Agent';

/** The names of the files the installer puts in the program directory. */
export const PROGRAM_FILES = {
  agent: 'optralis-agent.exe',
  /** WinSW, renamed: it finds its configuration by its own name. */
  wrapper: 'optralis-agent-service.exe',
  wrapperRuntime: 'optralis-agent-service.exe.config',
  wrapperXml: 'optralis-agent-service.xml',
  lhm: 'lhm',
} as const;

/** Every place the Windows installer and the service use, from the specification. */
export interface WindowsPaths {
  /** `C:\Program Files\Optralis Agent` */
  programDir: string;
  agentExe: string;
  wrapperExe: string;
  wrapperRuntimeConfig: string;
  wrapperXml: string;
  /** `C:\Program Files\Optralis Agent\lhm` (optional CPU temperature driver). */
  lhmDir: string;
  /** `C:\ProgramData\optralis-agent`: config.json and the certificates, SYSTEM and Administrators only. */
  dataDir: string;
  configFile: string;
  clientCert: string;
  clientKey: string;
  caCert: string;
  logsDir: string;
  /** Held while an install or uninstall runs, so that two never overlap. */
  lockFile: string;
  /** `C:\Program Files`, where the installer checks that it may write. */
  programFilesRoot: string;
  systemRoot: string;
}

type Env = Record<string, string | undefined>;

/** An environment variable by name, ignoring case as Windows does. */
export function envValue(env: Env, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(env)) {
    if (key.toLowerCase() === wanted && value) return value;
  }
  return undefined;
}

/**
 * The paths on this machine. `ProgramW6432` names the 64-bit Program Files even when a 32-bit
 * process asks. `p` is `path.win32` on Windows; the dry-run platform passes `path.posix` with
 * folders under a scratch directory.
 */
export function windowsPaths(
  env: Env = process.env,
  p: path.PlatformPath = path.win32,
): WindowsPaths {
  const programFilesRoot =
    envValue(env, 'ProgramW6432') ?? envValue(env, 'ProgramFiles') ?? 'C:\\Program Files';
  const programData =
    envValue(env, 'ProgramData') ?? envValue(env, 'ALLUSERSPROFILE') ?? 'C:\\ProgramData';
  const systemRoot = envValue(env, 'SystemRoot') ?? envValue(env, 'windir') ?? 'C:\\Windows';
  const programDir = p.join(programFilesRoot, 'Optralis Agent');
  const dataDir = p.join(programData, 'optralis-agent');
  return {
    programDir,
    agentExe: p.join(programDir, PROGRAM_FILES.agent),
    wrapperExe: p.join(programDir, PROGRAM_FILES.wrapper),
    wrapperRuntimeConfig: p.join(programDir, PROGRAM_FILES.wrapperRuntime),
    wrapperXml: p.join(programDir, PROGRAM_FILES.wrapperXml),
    lhmDir: p.join(programDir, PROGRAM_FILES.lhm),
    dataDir,
    configFile: p.join(dataDir, 'config.json'),
    clientCert: p.join(dataDir, 'client.crt'),
    clientKey: p.join(dataDir, 'client.key'),
    caCert: p.join(dataDir, 'ca.crt'),
    logsDir: p.join(dataDir, 'logs'),
    lockFile: p.join(dataDir, 'install.lock'),
    programFilesRoot,
    systemRoot,
  };
}

/** A tool of `System32` by full path, so that a program of the same name elsewhere on the PATH is never run. */
export function systemTool(paths: Pick<WindowsPaths, 'systemRoot'>, name: string): string {
  return path.win32.join(paths.systemRoot, 'System32', name);
}
