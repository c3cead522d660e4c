import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import {
  commandToken,
  type DryRunMachine,
  dryRunMachine as machine,
  offerLhm,
} from '../../../../test/support/windows-install';
import { EXIT } from './errors';
import { parseInstallerFlags } from './flags';
import { runSilent } from './silent';

/** LHM is opt-in (the spec): -silent installs it only with -with-lhm. */
describe('LHM in silent mode', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const newToken = () => commandToken(server);

  /** `-silent` with a token file, the console and the requests to the server recorded. */
  async function silentInstall(m: DryRunMachine, flags: string[]) {
    const tokenFile = path.join(m.root, 'jeton.txt');
    fs.writeFileSync(tokenFile, `${(await newToken()).value}\r\n`);
    const printed: string[] = [];
    const requested: string[] = [];
    const code = await runSilent(
      parseInstallerFlags([
        '-silent',
        '-url',
        server.publicUrl,
        '-token-file',
        tokenFile,
        ...flags,
      ]),
      {
        platform: m.platform,
        env: {},
        console: (line) => printed.push(line),
        fetch: (input, init) => {
          requested.push(new URL(String(input)).pathname);
          return fetch(input, init);
        },
      },
    );
    return { code, printed, requested };
  }

  it('-silent -with-lhm installs LHM and says which folder and process to exclude', async () => {
    const withdraw = offerLhm(server.config.downloadsDir);
    try {
      const m = machine();
      const result = await silentInstall(m, ['-with-lhm']);
      expect(result.code, result.printed.join('\n')).toBe(EXIT.ok);
      const { lhmDir } = m.platform.paths;
      expect(lhmDir).toBe(path.join(m.root, 'Program Files', 'Optralis Agent', 'lhm'));
      const notice = `LHM 0.9.4 installé dans ${lhmDir}. Excluez ce dossier et lhm-wrapper.exe de l'analyse antivirus si besoin.`;
      expect(result.printed).toContain(notice);
      expect(fs.readFileSync(m.logFile, 'utf8')).toContain(`INFO ${notice}\r\n`);
      expect(fs.readFileSync(path.join(lhmDir, 'lhm-wrapper.exe'), 'utf8')).toBe('MZ lhm');
    } finally {
      withdraw();
    }
  });

  it('-silent without -with-lhm leaves LHM out even when the release offers it', async () => {
    const withdraw = offerLhm(server.config.downloadsDir);
    try {
      const m = machine();
      const result = await silentInstall(m, []);
      expect(result.code, result.printed.join('\n')).toBe(EXIT.ok);
      expect(result.printed).toContain('LHM non demandé : températures par WMI');
      expect(result.printed.join('\n')).not.toContain('LHM 0.9.4');
      expect(fs.existsSync(m.platform.paths.lhmDir)).toBe(false);
      expect(result.requested.filter((url) => url.includes('lhm'))).toEqual([]);
      // The recorder did see the installer's other request to the server: the OS gate.
      expect(result.requested).toContain('/agent/requirements');
    } finally {
      withdraw();
    }
  });
});
