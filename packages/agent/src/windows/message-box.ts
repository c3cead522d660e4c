import { systemTool, type WindowsPaths } from './paths';

/** A PowerShell single-quoted literal: only the quote itself is special there. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A message box through Windows PowerShell, for a GUI program that has no console and no
 * window of its own to say something in. The script goes base64 in UTF-16LE
 * (`-EncodedCommand`), so accents and quotes survive any command-line quoting.
 */
export function messageBoxCommand(
  paths: Pick<WindowsPaths, 'systemRoot'>,
  title: string,
  text: string,
  icon: 'Warning' | 'Information' = 'Warning',
): { file: string; args: string[] } {
  const script = [
    'Add-Type -AssemblyName PresentationFramework',
    `[void][System.Windows.MessageBox]::Show(${literal(text)}, ${literal(title)}, 'OK', '${icon}')`,
  ].join('; ');
  return {
    file: systemTool(paths, 'WindowsPowerShell\\v1.0\\powershell.exe'),
    args: [
      '-NoProfile',
      '-NonInteractive',
      '-WindowStyle',
      'Hidden',
      '-EncodedCommand',
      Buffer.from(script, 'utf16le').toString('base64'),
    ],
  };
}
