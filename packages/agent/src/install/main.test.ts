import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { dryRunPlatform } from '../windows/dry-run';
import { INSTALLER_USAGE } from './flags';
import { consoleWriter } from './log';
import { runInstallerCommand } from './main';

function boxScripts(platform: ReturnType<typeof dryRunPlatform>): string[] {
  return platform.detached.map((command) => {
    expect(command.tool).toBe('powershell.exe');
    const encoded = command.args[command.args.indexOf('-EncodedCommand') + 1] ?? '';
    return Buffer.from(encoded, 'base64').toString('utf16le');
  });
}

function quoted(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

describe('-help typed at a cmd or PowerShell prompt', () => {
  it('shows the usage in a message box when standard output reaches nobody', async () => {
    const platform = dryRunPlatform({ root: tempDir('help-box') });
    const printed: string[] = [];
    const code = await runInstallerCommand(['-help'], {
      platform,
      print: (line) => {
        printed.push(line);
        return false;
      },
    });

    expect(code).toBe(0);
    expect(printed).toEqual([INSTALLER_USAGE]);
    const [script, ...more] = boxScripts(platform);
    expect(more).toEqual([]);
    expect(script).toContain(
      `[System.Windows.MessageBox]::Show(${quoted(INSTALLER_USAGE)}, 'Optralis Agent', 'OK', 'Information')`,
    );
    expect(platform.windows.commands).toEqual([]);
  });

  it('prints the usage and opens no box when standard output is read', async () => {
    const platform = dryRunPlatform({ root: tempDir('help-print') });
    const printed: string[] = [];
    const code = await runInstallerCommand(['-help'], {
      platform,
      print: (line) => {
        printed.push(line);
        return true;
      },
    });

    expect(code).toBe(0);
    expect(printed).toEqual([INSTALLER_USAGE]);
    expect(platform.detached).toEqual([]);
  });

  it('shows a command-line mistake in a warning box when nobody reads the output', async () => {
    const platform = dryRunPlatform({ root: tempDir('flag-box') });
    const code = await runInstallerCommand(['-silent', '-key', 'abc'], {
      platform,
      print: () => false,
    });

    expect(code).toBe(2);
    const [script] = boxScripts(platform);
    expect(script).toContain("'Optralis Agent', 'OK', 'Warning')");
    expect(script).toContain('-token-file');
    expect(script).toContain("Lancez « optralis-agent.exe -help » pour l''aide.");
    expect(script).not.toContain('abc');
  });
});

describe('the installer’s standard output', () => {
  it('reports a line written to a file, and a closed handle as nobody reading', () => {
    const file = path.join(tempDir('console'), 'out.txt');
    const fd = fs.openSync(file, 'w');
    const write = consoleWriter(fd);
    expect(write('Optralis Agent')).toBe(true);
    fs.closeSync(fd);
    expect(fs.readFileSync(file, 'utf8')).toBe('Optralis Agent\n');

    expect(write('personne ne lit')).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('Optralis Agent\n');
  });

  it('counts the null device as nobody reading, as Node gives a GUI program without handles', () => {
    const fd = fs.openSync(os.devNull, 'w');
    try {
      expect(consoleWriter(fd)('personne ne lit')).toBe(false);
    } finally {
      fs.closeSync(fd);
    }
  });
});
