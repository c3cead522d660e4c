import fs from 'node:fs';
import path from 'node:path';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { InstallerGui } from '../gui/controller';
import { dryRunPlatform } from '../windows/dry-run';
import { EXIT } from './errors';
import { parseInstallerFlags } from './flags';
import { runSilent } from './silent';

const EXPIRES_AT = '2026-12-03T10:00:00.000Z';
const BEFORE = new Date('2026-12-03T09:59:00.000Z');
const AFTER = new Date('2026-12-03T10:00:00.000Z');

function personalized(mode: 'token' | 'certificate' = 'token'): InstallerPayload {
  return {
    config: {
      mode,
      api_url: 'https://agents.optralis.example.com',
      public_url: 'https://optralis.example.com',
      channel: 'stable',
      client_id: 'client-1',
      ...(mode === 'token' ? { token_id: 'tok-1' } : { machine_id: 'machine-1' }),
      expires_at: EXPIRES_AT,
      created_at: '2026-12-02T10:00:00.000Z',
    },
    caCert: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n',
    ...(mode === 'token'
      ? { token: 'opt_from-the-payload' }
      : { clientCert: 'cert-pem', clientKey: 'key-pem' }),
  };
}

/** A machine without administrator rights that records what the installer asks of it. */
function machine() {
  const platform = dryRunPlatform({ root: tempDir('expiry'), administrator: false });
  const asked: string[] = [];
  platform.runElevated = async () => {
    asked.push('uac');
    return 0;
  };
  const fetch = (async (url: string | URL | Request) => {
    asked.push(`GET ${String(url)}`);
    throw new Error('no server in this test');
  }) as typeof globalThis.fetch;
  return { platform, asked, fetch };
}

const MESSAGE =
  'Installation impossible : le jeton de cet installeur personnalisé a expiré le 2026-12-03 10:00 UTC. Téléchargez un nouvel installeur depuis le tableau de bord.';

describe('an expired personalized installer', () => {
  it('in silent mode says so with status 6, before the OS check and the UAC prompt', async () => {
    const { platform, asked, fetch } = machine();
    const lines: string[] = [];
    const log = path.join(platform.tempDir, 'install.log');
    const code = await runSilent(parseInstallerFlags(['-silent', '-log', log]), {
      platform,
      payload: personalized(),
      env: {},
      fetch,
      now: () => AFTER,
      console: (line) => lines.push(line),
    });
    expect(code).toBe(EXIT.badCredentials);
    expect(asked).toEqual([]);
    expect(platform.windows.commands).toEqual([]);
    expect(lines).toContain(`Erreur : ${MESSAGE} [payload_expired]`);
    expect(fs.readFileSync(log, 'utf8')).toContain(`${MESSAGE} [payload_expired]`);
  });

  it('a minute before it expires, the same installer checks the OS and then asks for UAC', async () => {
    const { platform, asked, fetch } = machine();
    const code = await runSilent(parseInstallerFlags(['-silent']), {
      platform,
      payload: personalized(),
      env: {},
      fetch,
      now: () => BEFORE,
    });
    expect(code).toBe(0);
    expect(asked.at(-1)).toBe('uac');
    expect(
      asked.slice(0, -1).every((call) => call.startsWith('GET https://optralis.example.com/')),
    ).toBe(true);
  });

  it('is not in the way when a token file names the credentials instead', async () => {
    const { platform, asked, fetch } = machine();
    const tokenFile = path.join(platform.tempDir, 'token.txt');
    fs.writeFileSync(tokenFile, 'opt_typed\r\n');
    const code = await runSilent(parseInstallerFlags(['-silent', '-token-file', tokenFile]), {
      platform,
      payload: personalized(),
      env: {},
      fetch,
      now: () => AFTER,
    });
    expect(code).toBe(0);
    expect(asked).toContain('uac');
  });

  it('in the window shows why instead of the form, and the task never runs', async () => {
    const { platform, asked, fetch } = machine();
    const gui = new InstallerGui({
      platform,
      flags: parseInstallerFlags([]),
      payload: personalized('certificate'),
      task: async () => {
        asked.push('task');
        return { ok: true, exitCode: 0, code: 'installed', message: 'Installé.' };
      },
      logFile: path.join(platform.tempDir, 'install.log'),
      fetch,
      now: () => AFTER,
    });
    await gui.start();
    expect(gui.state.screen).toBe('error');
    expect(gui.state.unsupported_message).toBe(
      'Installation impossible : le certificat de cet installeur personnalisé a expiré le 2026-12-03 10:00 UTC. Téléchargez un nouvel installeur depuis le tableau de bord.',
    );
    expect(await gui.install({ with_lhm: false, beta: false })).toBe(
      'Une installation est déjà en cours.',
    );
    gui.close();
    expect(await gui.closed).toBe(EXIT.badCredentials);
    expect(gui.state.result).toMatchObject({ code: 'payload_expired', exitCode: 6 });
    expect(asked).toEqual([]);
    expect(platform.windows.commands).toEqual([]);
  });

  it('in the window still offers the form while it is valid', async () => {
    const { platform, fetch } = machine();
    const gui = new InstallerGui({
      platform,
      flags: parseInstallerFlags([]),
      payload: personalized(),
      task: async () => ({ ok: true, exitCode: 0, code: 'installed', message: 'Installé.' }),
      logFile: path.join(platform.tempDir, 'install.log'),
      fetch,
      now: () => BEFORE,
    });
    await gui.start();
    expect(gui.state.screen).toBe('form');
    expect(gui.state.variant).toBe('payload');
  });
});
