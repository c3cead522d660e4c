import { describe, expect, it } from 'vitest';
import {
  linuxInstallCommand,
  linuxUninstallCommand,
  WINDOWS_UNINSTALL_COMMAND,
  windowsInstallCommand,
} from './commands';

describe('the install commands', () => {
  const url = 'https://optralis.example.com';
  const token = 'opt_AbC-d_9';

  it('pipe the generic Linux script into bash with the token as its argument', () => {
    expect(linuxInstallCommand(url, token, false)).toBe(
      'curl -fsSL https://optralis.example.com/install.sh | sudo bash -s -- --token opt_AbC-d_9',
    );
    expect(linuxInstallCommand(url, token, true)).toMatch(/--token opt_AbC-d_9 --channel beta$/);
  });

  it('download install.ps1 and run it with -Token, as the specification writes it', () => {
    expect(windowsInstallCommand(url, token, false)).toBe(
      'irm https://optralis.example.com/install.ps1 -OutFile install.ps1; .\\install.ps1 -Token "opt_AbC-d_9"',
    );
    expect(windowsInstallCommand(url, token, true)).toMatch(/-Token "opt_AbC-d_9" -Beta$/);
  });

  it('uninstall with the server’s script on Linux and the installed program on Windows', () => {
    expect(linuxUninstallCommand(url)).toBe(
      'curl -fsSL https://optralis.example.com/uninstall.sh | sudo bash',
    );
    expect(WINDOWS_UNINSTALL_COMMAND).toContain('C:\\Program Files\\Optralis Agent\\');
  });
});
