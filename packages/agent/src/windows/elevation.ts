import { systemTool, type WindowsPaths } from './paths';

/** ERROR_CANCELLED: the user answered "No" to the UAC prompt. */
export const ELEVATION_CANCELLED = 1223;

/**
 * One argument as the Microsoft C runtime splits a command line (CommandLineToArgvW rules):
 * quoted when it holds a space, a tab or a quote, with backslashes before a quote doubled.
 */
export function quoteWindowsArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  let quoted = '"';
  let backslashes = 0;
  for (const char of argument) {
    if (char === '\\') {
      backslashes += 1;
      continue;
    }
    if (char === '"') quoted += '\\'.repeat(backslashes * 2 + 1);
    else quoted += '\\'.repeat(backslashes);
    backslashes = 0;
    quoted += char;
  }
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

export function windowsCommandLine(args: readonly string[]): string {
  return args.map(quoteWindowsArgument).join(' ');
}

/** A PowerShell single-quoted string: only the quote itself needs doubling. */
function psString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Starts `exe args` elevated through the UAC prompt and waits for it: PowerShell's
 * `Start-Process -Verb RunAs`, which every supported Windows has. The script goes in
 * `-EncodedCommand` (UTF-16LE, base64) so that no quoting of the outer command line can change
 * it. It exits with the elevated program's status, or 1223 when the user declines.
 */
export function elevationCommand(
  paths: Pick<WindowsPaths, 'systemRoot'>,
  exe: string,
  args: readonly string[],
): { file: string; args: string[] } {
  const script = [
    "$ErrorActionPreference = 'Stop'",
    'try {',
    `  $p = Start-Process -FilePath ${psString(exe)} -ArgumentList ${psString(windowsCommandLine(args))} -Verb RunAs -Wait -PassThru`,
    '  exit $p.ExitCode',
    '} catch {',
    `  if ($_.Exception.NativeErrorCode -eq ${ELEVATION_CANCELLED}) { exit ${ELEVATION_CANCELLED} }`,
    '  exit 1',
    '}',
  ].join('\n');
  return {
    file: systemTool(paths, 'WindowsPowerShell\\v1.0\\powershell.exe'),
    args: [
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
      Buffer.from(script, 'utf16le').toString('base64'),
    ],
  };
}
