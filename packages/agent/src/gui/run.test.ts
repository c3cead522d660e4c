import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { EXIT } from '../install/errors';
import { parseInstallerFlags } from '../install/flags';
import { dryRunPlatform } from '../windows/dry-run';
import { NO_WINDOW_MESSAGE, runGui } from './run';

describe('the graphical installer on a machine with no browser to show it', () => {
  it('says at once that -silent is needed, in the log and a message box, with status 12', async () => {
    const root = tempDir('no-window');
    const platform = dryRunPlatform({ root, ownExecutable: path.join(root, 'agent.exe') });
    const logFile = path.join(root, 'install.log');
    const code = await runGui(parseInstallerFlags(['-log', logFile]), {
      platform,
      env: { 'ProgramFiles(x86)': 'C:\\Program Files (x86)', ProgramW6432: 'C:\\Program Files' },
      files: { exists: () => false, list: () => [] },
    });
    expect(code).toBe(EXIT.noWindow);
    expect(code).toBe(12);
    expect(fs.readFileSync(logFile, 'utf8')).toContain(`${NO_WINDOW_MESSAGE} [no_window]`);
    expect(NO_WINDOW_MESSAGE).toContain('optralis-agent.exe -silent');

    expect(platform.detached).toHaveLength(1);
    const [box] = platform.detached;
    expect(box?.tool).toBe('powershell.exe');
    const encoded = box?.args[box.args.indexOf('-EncodedCommand') + 1] ?? '';
    const script = Buffer.from(encoded, 'base64').toString('utf16le');
    expect(script).toContain('[System.Windows.MessageBox]::Show(');
    expect(script).toContain(`'${NO_WINDOW_MESSAGE.replace(/'/g, "''")}'`);
  });
});
