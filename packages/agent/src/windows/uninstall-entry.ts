import { AGENT_VERSION } from '../version';
import { quoteWindowsArgument } from './elevation';
import { systemTool, type WindowsPaths } from './paths';

/** The "Apps & features" entry, in the 64-bit view where 64-bit programs are listed. */
export const UNINSTALL_KEY =
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\OptralisAgent';

type Value = [name: string, type: 'REG_SZ' | 'REG_DWORD', data: string];

/**
 * Registers the agent in "Apps & features" (Programs and Features), with an uninstall command
 * and a quiet one for deployment tools.
 */
export function uninstallEntryCommands(
  paths: WindowsPaths,
  sizeKb: number,
): { file: string; args: string[] }[] {
  const exe = quoteWindowsArgument(paths.agentExe);
  const values: Value[] = [
    ['DisplayName', 'REG_SZ', 'Optralis Agent'],
    ['DisplayVersion', 'REG_SZ', AGENT_VERSION],
    ['Publisher', 'REG_SZ', 'Optralis'],
    ['InstallLocation', 'REG_SZ', paths.programDir],
    ['DisplayIcon', 'REG_SZ', paths.agentExe],
    ['UninstallString', 'REG_SZ', `${exe} uninstall`],
    ['QuietUninstallString', 'REG_SZ', `${exe} uninstall -silent`],
    ['NoModify', 'REG_DWORD', '1'],
    ['NoRepair', 'REG_DWORD', '1'],
    ['EstimatedSize', 'REG_DWORD', String(Math.max(1, Math.round(sizeKb)))],
  ];
  const reg = systemTool(paths, 'reg.exe');
  return values.map(([name, type, data]) => ({
    file: reg,
    args: ['add', UNINSTALL_KEY, '/v', name, '/t', type, '/d', data, '/f', '/reg:64'],
  }));
}

export function removeUninstallEntryCommand(paths: WindowsPaths): { file: string; args: string[] } {
  return { file: systemTool(paths, 'reg.exe'), args: ['delete', UNINSTALL_KEY, '/f', '/reg:64'] };
}
