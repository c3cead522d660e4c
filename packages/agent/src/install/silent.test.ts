import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { dryRunPlatform } from '../windows/dry-run';
import { parseInstallerFlags } from './flags';
import { readProgressFile } from './progress';
import { runSilent } from './silent';

/** A server that is never there: the OS gate falls back to build 17763. */
const NO_SERVER = 'http://127.0.0.1:9';

describe('silent mode', () => {
  it('without administrator rights, starts itself through UAC with the token in a file only', async () => {
    const root = tempDir('silent');
    const platform = dryRunPlatform({ root, administrator: false });
    const calls: { args: string[]; token: string }[] = [];
    platform.runElevated = async (args) => {
      const file = args[args.indexOf('-token-file') + 1] as string;
      calls.push({ args: [...args], token: fs.readFileSync(file, 'utf8') });
      return 0;
    };
    const code = await runSilent(parseInstallerFlags(['-silent', '-url', NO_SERVER, '-beta']), {
      platform,
      env: { OPTRALIS_TOKEN: 'opt_from-the-environment' },
    });
    expect(code).toBe(0);
    expect(calls).toHaveLength(1);
    const args = calls[0]?.args ?? [];
    expect(args.slice(0, 4)).toEqual(['-silent', '-elevated', '-url', NO_SERVER]);
    expect(args).toContain('-beta');
    expect(args.join(' ')).not.toContain('opt_from-the-environment');
    expect(calls[0]?.token).toBe('opt_from-the-environment\n');
    // The hand-off file is gone once the elevated copy has finished.
    const handed = args[args.indexOf('-token-file') + 1] as string;
    expect(fs.existsSync(handed)).toBe(false);
    expect(args[args.indexOf('-log') + 1]).toBe(
      path.join(platform.tempDir, 'optralis-agent-install.log'),
    );
  });

  it('the elevated copy never asks again; a refused UAC prompt is status 1223', async () => {
    const platform = dryRunPlatform({ root: tempDir('silent'), administrator: false });
    const flags = parseInstallerFlags(['-silent', '-elevated', '-url', NO_SERVER]);
    expect(await runSilent(flags, { platform, env: { OPTRALIS_TOKEN: 'opt_x' } })).toBe(4);
    platform.runElevated = async () => 1223;
    const progress = path.join(platform.tempDir, 'progress.jsonl');
    const declined = parseInstallerFlags([
      '-silent',
      '-url',
      NO_SERVER,
      '-progress-file',
      progress,
    ]);
    expect(await runSilent(declined, { platform, env: { OPTRALIS_TOKEN: 'opt_x' } })).toBe(1223);
    const { events } = readProgressFile(progress, 0);
    expect(events.at(-1)).toMatchObject({
      event: 'result',
      ok: false,
      exit_code: 1223,
      code: 'cancelled',
    });
  });

  it('an unsupported system stops before elevation, with status 3, a log and a console line', async () => {
    const platform = dryRunPlatform({
      root: tempDir('silent'),
      administrator: false,
      build: 14393,
    });
    let elevated = false;
    platform.runElevated = async () => {
      elevated = true;
      return 0;
    };
    const lines: string[] = [];
    const log = path.join(platform.tempDir, 'custom.log');
    const code = await runSilent(parseInstallerFlags(['-silent', '-url', NO_SERVER, '-log', log]), {
      platform,
      env: { OPTRALIS_TOKEN: 'opt_x' },
      console: (line) => lines.push(line),
    });
    expect(code).toBe(3);
    expect(elevated).toBe(false);
    expect(lines.join('\n')).toContain(
      "Erreur : Ce système (Windows 10 Pro (build 14393)) n'est pas pris en charge.",
    );
    expect(fs.readFileSync(log, 'utf8')).toContain('[unsupported_os]');
  });

  it('a token file that holds no token is status 6, and -url is needed with a token', async () => {
    const platform = dryRunPlatform({ root: tempDir('silent') });
    const empty = path.join(platform.tempDir, 'token.txt');
    fs.writeFileSync(empty, '\r\n');
    expect(
      await runSilent(parseInstallerFlags(['-silent', '-url', NO_SERVER, '-token-file', empty]), {
        platform,
        env: {},
      }),
    ).toBe(6);
    fs.writeFileSync(empty, 'opt_abc\r\n');
    expect(
      await runSilent(parseInstallerFlags(['-silent', '-token-file', empty]), {
        platform,
        env: {},
      }),
    ).toBe(2);
  });
});
