import { systemTool, type WindowsPaths } from './paths';

/**
 * Well-known SIDs rather than names: names are translated ("BUILTIN\Administrateurs" on a
 * French Windows) and icacls only understands the local language's.
 */
export const SID_SYSTEM = 'S-1-5-18';
export const SID_ADMINISTRATORS = 'S-1-5-32-544';

/**
 * Makes a folder readable by SYSTEM and Administrators only, and everything in it: the folder
 * stops inheriting from `C:\ProgramData` (whose ACL lets every user read), gets full control
 * for the two, inherited by what it holds, and Administrators as owner (a folder made by
 * another user beforehand would otherwise stay theirs, and its owner could change its ACL).
 * Then what is already inside is reset to inherit from the folder alone.
 */
export function restrictToAdministratorsCommands(
  paths: Pick<WindowsPaths, 'systemRoot'>,
  folder: string,
): { file: string; args: string[] }[] {
  const icacls = systemTool(paths, 'icacls.exe');
  return [
    { file: icacls, args: [folder, '/setowner', `*${SID_ADMINISTRATORS}`, '/T', '/C', '/Q'] },
    {
      file: icacls,
      args: [
        folder,
        '/inheritance:r',
        '/grant:r',
        `*${SID_SYSTEM}:(OI)(CI)F`,
        `*${SID_ADMINISTRATORS}:(OI)(CI)F`,
        '/Q',
      ],
    },
    { file: icacls, args: [`${folder}\\*`, '/reset', '/T', '/C', '/Q'] },
  ];
}
