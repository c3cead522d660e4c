import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { parseInstallerFlags } from '../install/flags';
import { type ProgressEvent, progressFileSink } from '../install/progress';
import { dryRunPlatform } from '../windows/dry-run';
import { elevatedTask } from './task';

describe('the GUI’s elevated install', () => {
  it('hands the typed token over in a file, relays the steps and returns the result', async () => {
    const platform = dryRunPlatform({ root: tempDir('gui-task') });
    const seen: { args: string[]; token: string }[] = [];
    platform.runElevated = async (args) => {
      const token = fs.readFileSync(args[args.indexOf('-token-file') + 1] as string, 'utf8');
      seen.push({ args: [...args], token });
      const sink = progressFileSink(args[args.indexOf('-progress-file') + 1] as string);
      sink({ event: 'step', index: 1, total: 7, id: 'check', label: 'Vérification du système' });
      sink({ event: 'notice', level: 'warning', message: 'LHM non installé' });
      sink({
        event: 'result',
        ok: true,
        exit_code: 0,
        code: 'installed',
        message: 'Installé.',
        machine_id: 'M1',
        log_file: 'C:\\log',
      });
      return 0;
    };
    const events: ProgressEvent[] = [];
    const task = elevatedTask(platform, parseInstallerFlags([]), 'C:\\Temp\\install.log', 5);
    const result = await task(
      {
        kind: 'install',
        request: {
          credentials: {
            kind: 'token',
            token: 'opt_typed',
            serverUrl: 'https://o.example',
            source: 'form',
          },
          serverUrl: 'https://o.example',
          channel: 'beta',
          withLhm: true,
        },
      },
      (event) => events.push(event),
    );
    expect(result).toEqual({
      ok: true,
      exitCode: 0,
      code: 'installed',
      message: 'Installé.',
      machineId: 'M1',
    });
    expect(events.map((event) => event.event)).toEqual(['step', 'notice']);
    const args = seen[0]?.args ?? [];
    expect(args.slice(0, 4)).toEqual(['-silent', '-elevated', '-url', 'https://o.example']);
    expect(args).toEqual(
      expect.arrayContaining(['-with-lhm', '-beta', '-log', 'C:\\Temp\\install.log']),
    );
    expect(args.join(' ')).not.toContain('opt_typed');
    expect(seen[0]?.token).toBe('opt_typed\n');
    expect(fs.existsSync(args[args.indexOf('-token-file') + 1] as string)).toBe(false);
  });

  it('a declined UAC prompt ends as cancelled; an uninstall passes no install flags', async () => {
    const platform = dryRunPlatform({ root: tempDir('gui-task') });
    let args: readonly string[] = [];
    platform.runElevated = async (given) => {
      args = given;
      return 1223;
    };
    const task = elevatedTask(platform, parseInstallerFlags(['uninstall']), 'C:\\u.log', 5);
    const result = await task({ kind: 'uninstall' }, () => {});
    expect(result).toMatchObject({ ok: false, exitCode: 1223, code: 'cancelled' });
    expect(args.slice(0, 3)).toEqual(['uninstall', '-silent', '-elevated']);
    expect(parseInstallerFlags(args)).toMatchObject({
      uninstall: true,
      silent: true,
      elevated: true,
    });
  });
});
