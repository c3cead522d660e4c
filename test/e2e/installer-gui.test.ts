import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { type InstallerPayload, readPayloadZip } from '@optralis/protocol/installer-payload';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstallerGui } from '../../packages/agent/src/gui/controller';
import { type GuiServer, startGuiServer } from '../../packages/agent/src/gui/server';
import { inProcessTask } from '../../packages/agent/src/gui/task';
import { parseInstallerFlags } from '../../packages/agent/src/install/flags';
import { type DryRunOptions, dryRunPlatform } from '../../packages/agent/src/windows/dry-run';
import { createClient } from '../../packages/server/src/clients/store';
import { makeWindowsPayload } from '../../packages/server/src/installers/windows/payload';
import { findMachine, listMachines } from '../../packages/server/src/machines/store';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { launchChromium, screenshotDir } from '../support/browser';
import { startTestServer, type TestServer, tempDir } from '../support/server';

const FAST = { waitMs: 2000, pollMs: 10 };

/**
 * The graphical installer in Chromium: its real page and local server, on the dry-run platform
 * (commands recorded, folders in a scratch directory) against a real Optralis server.
 */
describe('the graphical installer', () => {
  let server: TestServer;
  let browser: Browser;
  const opened: GuiServer[] = [];
  const shots = screenshotDir('installer-gui');

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(opened.map((gui) => gui.close()));
    await server?.stop();
  });

  async function newToken() {
    const client = await createClient(server.ctx.db, `gui-${crypto.randomUUID()}`, new Date());
    return createInstallToken(server.ctx, {
      clientId: client.id,
      createdBy: 'test',
      kind: 'command',
    });
  }

  async function openInstaller(
    argv: string[],
    options: {
      payload?: InstallerPayload;
      machine?: Partial<DryRunOptions>;
      startError?: string;
    } = {},
  ) {
    const root = tempDir('gui');
    const exe = path.join(root, 'optralis-agent.exe');
    fs.writeFileSync(exe, 'MZ agent');
    const platform = dryRunPlatform({
      root,
      ownExecutable: exe,
      machineGuid: crypto.randomUUID(),
      ...options.machine,
    });
    const logFile = path.join(platform.tempDir, 'optralis-agent-install.log');
    const gui = new InstallerGui({
      platform,
      flags: parseInstallerFlags(argv),
      payload: options.payload,
      task: inProcessTask(platform, logFile, { service: FAST }),
      logFile,
      startError: options.startError,
    });
    const guiServer = await startGuiServer(gui);
    opened.push(guiServer);
    void gui.start();
    const page = await browser.newPage();
    await page.goto(guiServer.entryUrl);
    return { page, gui, guiServer, platform, logFile };
  }

  async function finished(page: Page) {
    await page.locator('#screen-done').waitFor({ state: 'visible' });
  }

  it('full form: server and token, LHM warning with the exclusions, progress to the end', async () => {
    const token = await newToken();
    const { page, platform, logFile } = await openInstaller([]);
    await page.locator('#screen-form').waitFor({ state: 'visible' });
    expect(await page.locator('#auth-fields').isVisible()).toBe(true);
    expect(await page.locator('#mtls-notice').isVisible()).toBe(false);

    expect(await page.locator('#lhm-warning').isVisible()).toBe(false);
    await page.getByLabel('Installer le driver de température CPU (LHM)').check();
    const warning = page.locator('#lhm-warning');
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.innerText()).toContain('C:\\Program Files\\Optralis Agent\\lhm\\');
    expect(await warning.innerText()).toContain('lhm-wrapper.exe');
    await page.screenshot({ path: path.join(shots, 'form-lhm.png'), fullPage: true });

    // Without a token the form says what is missing and nothing starts.
    await page.getByLabel('Adresse du serveur Optralis').fill(server.publicUrl);
    await page.getByRole('button', { name: 'Installer', exact: true }).click();
    await expect
      .poll(() => page.locator('#form-error').innerText())
      .toContain("jeton d'installation");

    await page.getByLabel("Jeton d'installation").fill(token.value);
    await page.getByRole('button', { name: 'Installer', exact: true }).click();
    await finished(page);
    expect(await page.locator('#result-title').innerText()).toBe('Installation terminée');
    expect(await page.locator('#result-message').innerText()).toMatch(
      /^Optralis Agent est installé et le service OptralisAgent fonctionne \(machine \w+\)\.$/,
    );
    expect(await page.locator('#log-file').innerText()).toBe(logFile);
    expect(await page.locator('#final-steps li.done').count()).toBe(7);
    // LHM is not in this server's downloads: the install went on and said so.
    expect(await page.locator('#final-notices li.warning').innerText()).toContain(
      'LHM non installé',
    );
    await page.screenshot({ path: path.join(shots, 'done.png'), fullPage: true });

    expect(platform.windows.services.get('OptralisAgent')?.state).toBe('running');
    expect(fs.readFileSync(logFile, 'utf8')).not.toContain(token.value);
  });

  it('shows each step while it runs, with the bar moving', async () => {
    const token = await newToken();
    const { page, platform } = await openInstaller(['-url', server.publicUrl]);
    // Hold the service start so that the page can be seen in the middle of the install.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = platform.windows.run.bind(platform.windows);
    platform.windows.run = async (file, args) => {
      if (args[0] === 'start') await held;
      return run(file, args);
    };
    await page.locator('#screen-form').waitFor({ state: 'visible' });
    expect(await page.getByLabel('Adresse du serveur Optralis').inputValue()).toBe(
      server.publicUrl,
    );
    await page.getByLabel("Jeton d'installation").fill(token.value);
    await page.getByRole('button', { name: 'Installer', exact: true }).click();
    await page.locator('#steps li[data-step="start"].active').waitFor();
    expect(await page.locator('#progress-label').innerText()).toBe(
      'Étape 7 sur 7 : Démarrage du service',
    );
    expect(
      Number(await page.locator('#progress-bar').getAttribute('aria-valuenow')),
    ).toBeGreaterThan(85);
    expect(await page.locator('#steps li.done').count()).toBe(6);
    await page.screenshot({ path: path.join(shots, 'progress.png'), fullPage: true });
    release();
    await finished(page);
    expect(await page.locator('#result-title').innerText()).toBe('Installation terminée');
  });

  it('with a certificate: green notice, no authentication fields, LHM option, one click', async () => {
    // A machine certificate issued beforehand, as the dashboard's ZIP holds it.
    const token = await newToken();
    const donor = await openInstaller(['-url', server.publicUrl]);
    await donor.page.getByLabel("Jeton d'installation").fill(token.value);
    await donor.page.getByRole('button', { name: 'Installer', exact: true }).click();
    await finished(donor.page);
    const zip = tempDir('zip');
    for (const name of ['client.crt', 'client.key', 'ca.crt', 'config.json']) {
      fs.copyFileSync(path.join(donor.platform.paths.dataDir, name), path.join(zip, name));
    }

    const { page, platform } = await openInstaller([
      '-mtls-cert',
      path.join(zip, 'client.crt'),
      '-mtls-key',
      path.join(zip, 'client.key'),
    ]);
    await page.locator('#screen-form').waitFor({ state: 'visible' });
    const notice = page.locator('#mtls-notice');
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.locator('h2').innerText()).toBe('Certificat mTLS détecté');
    expect(await notice.evaluate((node) => getComputedStyle(node).color)).toBe('rgb(21, 128, 61)');
    expect(await page.locator('#auth-fields').isVisible()).toBe(false);
    // The server keeps a certificate machine's channel: no beta choice to make here.
    expect(await page.getByLabel('Utiliser le canal beta').isVisible()).toBe(false);
    expect(await page.getByLabel('Installer le driver de température CPU (LHM)').isVisible()).toBe(
      true,
    );
    await page.screenshot({ path: path.join(shots, 'mtls.png'), fullPage: true });

    await page.getByRole('button', { name: 'Installer', exact: true }).click();
    await finished(page);
    expect(await page.locator('#result-title').innerText()).toBe('Installation terminée');
    expect(fs.readFileSync(platform.paths.clientCert, 'utf8')).toBe(
      fs.readFileSync(path.join(zip, 'client.crt'), 'utf8'),
    );
  });

  it('a personalized installer in certificate mode: green notice, one click, identity imported', async () => {
    const client = await createClient(server.ctx.db, `gui-${crypto.randomUUID()}`, new Date());
    const made = await makeWindowsPayload(server.ctx, {
      clientId: client.id,
      actor: 'user:test',
      mode: 'certificate',
      maxUsage: 1,
      sourceIp: '127.0.0.1',
    });
    const { page, platform } = await openInstaller([], { payload: readPayloadZip(made.zip) });
    await page.locator('#screen-form').waitFor({ state: 'visible' });
    const notice = page.locator('#mtls-notice');
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.locator('h2').innerText()).toBe('Certificat mTLS détecté');
    expect(await page.locator('#payload-notice').isVisible()).toBe(false);
    expect(await page.locator('#auth-fields').isVisible()).toBe(false);
    expect(await page.getByLabel('Utiliser le canal beta').isVisible()).toBe(false);
    expect(await page.content()).not.toContain('PRIVATE KEY');

    await page.getByRole('button', { name: 'Installer', exact: true }).click();
    await finished(page);
    expect(await page.locator('#result-title').innerText()).toBe('Installation terminée');
    expect(await page.locator('#result-message').innerText()).toBe(
      `Optralis Agent est installé et le service OptralisAgent fonctionne (machine ${made.machineId}).`,
    );
    expect(fs.readFileSync(platform.paths.clientCert, 'utf8')).toBe(made.payload.clientCert);
    expect(fs.readFileSync(platform.paths.clientKey, 'utf8')).toBe(made.payload.clientKey);
    const config = JSON.parse(fs.readFileSync(platform.paths.configFile, 'utf8'));
    expect(config).toMatchObject({ machine_id: made.machineId, client_id: client.id });
    // The machine was enrolled when the installer was made; the install added none.
    const machines = await listMachines(server.ctx.db, client.id);
    expect(machines.map((row) => row.id)).toEqual([made.machineId]);
  });

  it('a personalized installer: its own notice, nothing to type', async () => {
    // A command token: the dry run enrolls from Linux, which a Windows installer token refuses.
    const token = await newToken();
    const payload: InstallerPayload = {
      config: {
        mode: 'token',
        api_url: server.agentApiUrl,
        public_url: server.publicUrl,
        channel: 'stable',
        client_id: token.row.client_id,
        created_at: new Date().toISOString(),
      },
      caCert: server.ctx.ca.certificatePem,
      token: token.value,
    };
    const { page, platform } = await openInstaller([], { payload });
    await page.locator('#screen-form').waitFor({ state: 'visible' });
    expect(await page.locator('#payload-notice').innerText()).toContain(server.publicUrl);
    expect(await page.locator('#auth-fields').isVisible()).toBe(false);
    expect(await page.content()).not.toContain(token.value);
    // The beta choice stays offered and is honoured, as -beta is in silent mode.
    await page.getByLabel('Utiliser le canal beta').check();
    await page.getByRole('button', { name: 'Installer', exact: true }).click();
    await finished(page);
    expect(await page.locator('#result-title').innerText()).toBe('Installation terminée');
    const config = JSON.parse(fs.readFileSync(platform.paths.configFile, 'utf8'));
    expect(config.channel).toBe('beta');
    const row = await findMachine(server.ctx.db, config.machine_id, token.row.client_id);
    expect(row?.channel).toBe('beta');
  });

  it('an unsupported Windows gets the error screen, before anything is asked', async () => {
    const { page } = await openInstaller(['-url', server.publicUrl], {
      machine: { build: 14393, productName: 'Windows Server 2016 Standard' },
    });
    await page.locator('#screen-unsupported').waitFor({ state: 'visible' });
    expect(await page.locator('#unsupported-message').innerText()).toBe(
      "Ce système (Windows Server 2016 Standard (build 14393)) n'est pas pris en charge. Optralis Agent nécessite Windows 10 LTSC 2019 / Windows Server 2019 (build 17763) ou plus récent.",
    );
    expect(await page.locator('#screen-form').isVisible()).toBe(false);
    await page.screenshot({ path: path.join(shots, 'unsupported.png'), fullPage: true });
  });

  it('a damaged personalized installer says so, and closing ends with status 6', async () => {
    const { page, gui } = await openInstaller([], {
      startError: 'Cet installeur personnalisé est endommagé.',
    });
    await page.locator('#screen-error').waitFor({ state: 'visible' });
    expect(await page.locator('#error-message').innerText()).toBe(
      'Cet installeur personnalisé est endommagé.',
    );
    expect(await page.locator('#screen-form').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Fermer' }).click();
    expect(await gui.closed).toBe(6);
  });

  it('uninstall asks first, then removes everything', async () => {
    const token = await newToken();
    const first = await openInstaller(['-url', server.publicUrl]);
    await first.page.getByLabel("Jeton d'installation").fill(token.value);
    await first.page.getByRole('button', { name: 'Installer', exact: true }).click();
    await finished(first.page);

    const logFile = path.join(first.platform.tempDir, 'uninstall.log');
    const gui = new InstallerGui({
      platform: first.platform,
      flags: parseInstallerFlags(['uninstall']),
      task: inProcessTask(first.platform, logFile, { service: FAST }),
      logFile,
    });
    const guiServer = await startGuiServer(gui);
    opened.push(guiServer);
    void gui.start();
    const page = await browser.newPage();
    await page.goto(guiServer.entryUrl);
    await page.locator('#screen-confirm-uninstall').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Désinstaller' }).click();
    await finished(page);
    expect(await page.locator('#result-title').innerText()).toBe('Désinstallation terminée');
    expect(fs.existsSync(first.platform.paths.dataDir)).toBe(false);
    expect(first.platform.windows.services.size).toBe(0);

    await page.getByRole('button', { name: 'Fermer' }).click();
    expect(await gui.closed).toBe(0);
  });

  it('the page is for its window only: one-time secret, session cookie, host and origin checked', async () => {
    const { guiServer } = await openInstaller([]);
    // The secret was spent by the first visit: a second browser profile gets nothing.
    const other = await browser.newContext();
    const stranger = await other.newPage();
    const answer = await stranger.goto(guiServer.entryUrl);
    expect(answer?.status()).toBe(403);
    expect((await stranger.goto(`${guiServer.origin}/api/state`))?.status()).toBe(403);
    await other.close();

    const port = new URL(guiServer.origin).port;
    const status = (headers: Record<string, string>, method = 'GET', pathName = '/api/state') =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port, method, path: pathName, headers },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.end(method === 'POST' ? '{}' : undefined);
      });
    // A rebinding page reaches the port under another name: refused whatever it sends.
    expect(await status({ host: `evil.example:${port}` })).toBe(403);
    expect(await status({ host: `127.0.0.1:${port}`, cookie: 'optralis_installer=guess' })).toBe(
      403,
    );
  });
});
