import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PAYLOAD_MARKER } from '@optralis/protocol/installer-payload';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import {
  accessibilityViolations,
  ensureDashboardBuilt,
  launchChromium,
  screenshotDir,
} from '../support/browser';
import { agentRequest } from '../support/https';
import { payloadOf, publishLinuxBuild, publishWindowsBuild } from '../support/release-files';
import { startTestServer, type TestServer } from '../support/server';
import { login } from '../support/sessions';

const ADMIN = { email: 'admin@localhost', password: 'correct-horse-battery' };
/** A guard against a hung page, not a speed limit: the machines are shared and noisy. */
const PATIENCE_MS = 120_000;
const poll = { timeout: PATIENCE_MS, interval: 200 };

/** "14:59" → 899 seconds. */
function seconds(text: string): number {
  const parts = text.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

describe('the dashboard in Chromium against a real server', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shots: string;
  let adminToken: string;
  let clientId: string;
  let linuxArm64: { filename: string; checksum_sha256: string };

  const url = (pathname: string) => `${server.publicUrl}${pathname}`;
  const shoot = (name: string) =>
    page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const apiGet = async <T>(pathname: string): Promise<T> => {
    const answer = await fetch(url(pathname), {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(answer.status, pathname).toBe(200);
    return (await answer.json()) as T;
  };
  const bootstrap = (token: string, hostname: string, platform: 'linux' | 'windows') =>
    fetch(url('/api/public/bootstrap'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname, arch: 'amd64', platform }),
    });

  beforeAll(async () => {
    await ensureDashboardBuilt();
    server = await startTestServer({ env: { OPTRALIS_LOGIN_RATE: '0' } });
    linuxArm64 = publishLinuxBuild(server.config.downloadsDir);
    adminToken = await login(server.publicApp, ADMIN.email, ADMIN.password);
    shots = screenshotDir('dashboard');
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(PATIENCE_MS);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sends a visitor to the sign-in page and signs the administrator in', async () => {
    await page.goto(url('/'));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await shoot('login');

    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The email or the password is wrong.' })
      .waitFor();

    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Machines', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/machines');
    await expect(page.getByText('admin@localhost')).toBeTruthy();
  });

  it('creates a client and shows only its administrator password, once (spec test 8)', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('Société Acme');
    await page.getByLabel('Administrator email').fill('it@acme.example');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    const dialog = page.getByRole('dialog', { name: 'Client Société Acme created' });
    await dialog.waitFor();
    const password = (
      await dialog
        .getByRole('figure', { name: 'Administrator password' })
        .locator('code')
        .innerText()
    ).trim();
    expect(password.length).toBeGreaterThanOrEqual(12);
    const text = await dialog.innerText();
    expect(text).toContain('it@acme.example');
    expect(text).not.toMatch(/agent key|api key|opt_/i);
    await shoot('clients-created');
    expect(await login(server.publicApp, 'it@acme.example', password)).toBeTruthy();

    await dialog.getByRole('button', { name: 'I have saved the password' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(password);

    const clients = await apiGet<{ clients: { id: string; name: string }[] }>('/api/admin/clients');
    clientId = clients.clients.find((client) => client.name === 'Société Acme')?.id ?? '';
    expect(clientId).not.toBe('');
    await page.getByRole('button', { name: 'Manage Société Acme' }).click();
    expect(await page.getByLabel('Client', { exact: true }).inputValue()).toBe(clientId);
    await shoot('clients');
  });

  it('lists machines with OS, architecture, version, channel, last contact and state', async () => {
    const made = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'command',
      maxUsage: 2,
    });
    const online = await bootstrap(made.value, 'web-01', 'linux');
    expect(online.status).toBe(200);
    const enrolled = (await online.json()) as Record<string, string>;
    expect((await bootstrap(made.value, 'db-02', 'linux')).status).toBe(200);
    const tls = {
      cert: enrolled.certificate,
      key: enrolled.private_key ?? '',
      ca: enrolled.ca_cert ?? '',
    };
    const heartbeat = await agentRequest(`${server.agentApiUrl}/heartbeat`, tls, {
      body: { version: '1.0.0', platform: 'linux', arch: 'amd64' },
    });
    expect(heartbeat.status).toBe(200);
    const inventory = await agentRequest(`${server.agentApiUrl}/inventory`, tls, {
      body: {
        collected_at: new Date().toISOString(),
        hostname: 'web-01',
        os: { platform: 'linux', name: 'Debian GNU/Linux', version: '12', arch: 'x64' },
        cpu: { model: 'Test CPU', cores: 2 },
        memory: { total_bytes: 8 * 2 ** 30 },
        disks: [],
        filesystems: [],
        network_interfaces: [],
      },
    });
    expect(inventory.status, JSON.stringify(inventory.body)).toBe(200);

    await page.getByRole('navigation').getByRole('link', { name: 'Machines' }).click();
    const web = page.getByRole('row', { name: /web-01/ });
    await expect.poll(() => web.getByRole('cell').allInnerTexts(), poll).toContain('Online');
    const cells = await web.getByRole('cell').allInnerTexts();
    expect(cells.slice(0, 3)).toEqual(['Debian GNU/Linux 12', 'amd64', '1.0.0']);
    expect(await web.getByLabel('Channel of web-01').inputValue()).toBe('stable');
    expect(cells[4]).toMatch(/^(now|\d+ seconds? ago)$/);
    expect(cells[5]).toBe('Online');
    const offline = await page
      .getByRole('row', { name: /db-02/ })
      .getByRole('cell')
      .allInnerTexts();
    expect(offline.slice(4, 6)).toEqual(['Never', 'Offline']);
    await shoot('machines');

    await page.getByLabel('Channel of web-01').selectOption('beta');
    await page.getByText('web-01 now follows the Beta channel.').waitFor();
    await page.getByRole('button', { name: 'Revoke db-02' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke db-02?' });
    await confirm.getByRole('button', { name: 'Revoke the machine' }).click();
    await page.getByRole('row', { name: /db-02/ }).getByText('Revoked').waitFor();

    const { machines } = await apiGet<{
      machines: { hostname: string; channel: string; revoked_at: string | null }[];
    }>(`/api/machines?client_id=${clientId}`);
    expect(machines.find((machine) => machine.hostname === 'web-01')?.channel).toBe('beta');
    expect(machines.find((machine) => machine.hostname === 'db-02')?.revoked_at).not.toBeNull();
  });

  it('adds a read-only user, who can look at the pages but not make tokens or installers', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Email').fill('viewer@acme.example');
    expect(await page.getByLabel('Role').inputValue()).toBe('read_only');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'User viewer@acme.example added' });
    const password = (
      await dialog.getByRole('figure', { name: 'Password' }).locator('code').innerText()
    ).trim();
    await dialog.getByRole('button', { name: 'I have saved the password' }).click();
    expect(await page.getByRole('row', { name: /viewer@acme\.example/ }).innerText()).toContain(
      'Read only',
    );

    const viewer = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const view = await viewer.newPage();
    view.setDefaultTimeout(PATIENCE_MS);
    await view.goto(url('/dashboard/installation'));
    await view.getByLabel('Email').fill('viewer@acme.example');
    await view.getByLabel('Password').fill(password);
    await view.getByRole('button', { name: 'Sign in' }).click();
    await view.getByRole('heading', { name: 'Installation', level: 1 }).waitFor();
    await view.getByText('Your role can look at this page').waitFor();
    for (const name of ['Download Windows', 'Download Linux x64', 'Generate Linux token']) {
      expect(await view.getByRole('button', { name }).isDisabled(), name).toBe(true);
    }
    expect(await view.getByRole('link', { name: 'Clients' }).count()).toBe(0);
    await view.getByRole('navigation').getByRole('link', { name: 'Machines' }).click();
    await view.getByRole('row', { name: /web-01/ }).waitFor();
    expect(await view.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
    await viewer.close();
  });

  it('generates a Linux token: the curl command works and its countdown runs', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Installation' }).click();
    const section = page.getByRole('region', { name: 'Quick Linux installation' });
    await section.getByRole('button', { name: 'Generate Linux token' }).click();

    const dialog = page.getByRole('dialog', { name: 'Linux install token' });
    const command = (
      await dialog.getByRole('figure', { name: 'Command to run' }).locator('code').innerText()
    ).trim();
    const pattern = /^curl -fsSL (\S+)\/install\.sh \| sudo bash -s -- --token (opt_[\w-]+)$/;
    const match = pattern.exec(command);
    expect(match, command).not.toBeNull();
    expect(match?.[1]).toBe(server.publicUrl);

    const timer = dialog.getByRole('timer');
    const first = await timer.innerText();
    expect(first).toMatch(/^\d\d:\d\d$/);
    expect(seconds(first)).toBeLessThanOrEqual(15 * 60);
    await expect.poll(() => timer.innerText(), poll).not.toBe(first);
    expect(seconds(await timer.innerText())).toBeLessThan(seconds(first));
    expect(await dialog.innerText()).toContain('0/10');
    await shoot('installation-linux-token');

    // The token in the command is the real one: a machine enrolls with it, and the dialog counts it.
    expect((await bootstrap(match?.[2] ?? '', 'linux-03', 'linux')).status).toBe(200);
    await expect.poll(() => dialog.innerText(), poll).toContain('1/10');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    const tokens = page.getByRole('table', { name: 'Active install tokens' });
    const row = tokens.getByRole('row').filter({ hasText: '1/10' });
    expect(await row.innerText()).toMatch(/Command\s+Linux\s+1\/10/);
    await row.getByRole('button', { name: /^Revoke token / }).click();
    await page.getByText('The token is revoked.').waitFor();
    await expect
      .poll(() => tokens.getByRole('row').filter({ hasText: '1/10' }).count(), poll)
      .toBe(0);
  });

  it('follows a Windows mass deployment live: "X/N machines installed"', async () => {
    const installer = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'windows_installer',
      maxUsage: 10,
    });
    const progress = page.getByRole('progressbar', { name: 'Windows mass deployment' });
    await page.getByText('0/10 machines installed').waitFor();
    expect((await bootstrap(installer.value, 'desk-01', 'windows')).status).toBe(200);
    await page.getByText('1/10 machines installed').waitFor();
    expect(await progress.getAttribute('value')).toBe('1');
    expect(await progress.getAttribute('max')).toBe('10');
    await shoot('installation');
  });

  it('says when there is no Windows build to make installers from', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Installation' }).click();
    const windows = page.getByRole('article', { name: /^Windows/ });
    await windows.getByRole('radio', { name: '10 machines' }).check();
    // No Windows build yet: the server says so, rather than a ZIP that could install nothing.
    await windows.getByRole('button', { name: 'Download Windows' }).click();
    await windows
      .getByRole('alert')
      .getByText(
        'Something went wrong: No Windows build is published in the stable channel, so no Windows installer can be made; publish one first.',
      )
      .waitFor();
  });

  it('creates versions through the modal, typed in or imported from the server', async () => {
    // A version served by this server must name a file that is there, with its size and hash.
    const base = publishWindowsBuild(server.config.downloadsDir, '1.4.0');
    await page.getByRole('navigation').getByRole('link', { name: 'Updates' }).click();
    await page.getByRole('heading', { name: 'Agent updates' }).waitFor();
    await page.getByRole('button', { name: 'Add a version' }).click();
    const modal = page.getByRole('dialog', { name: 'New version' });
    expect(await modal.getByLabel('Architecture').count()).toBe(0);
    await modal.getByLabel('Version', { exact: true }).fill('1.4.0');
    await modal.getByLabel('SHA-256').fill('ab'.repeat(32));
    await modal.getByLabel('File size (bytes)').fill(String(base.length));
    await modal
      .getByLabel('Download URL')
      .fill(`${server.publicUrl}/downloads/stable/optralis-agent-v1.4.0.exe`);
    await shoot('updates-modal');
    // A wrong hash is refused by the server and the dialog stays open with its answer.
    await modal.getByRole('button', { name: 'Save' }).click();
    await modal.getByRole('alert').waitFor();
    expect(await modal.getByRole('alert').innerText()).toMatch(/SHA-256/);
    await modal.getByLabel('SHA-256').fill(crypto.createHash('sha256').update(base).digest('hex'));
    await modal.getByRole('button', { name: 'Save' }).click();
    await modal.waitFor({ state: 'hidden' });
    await page.getByText('Version 1.4.0 is saved.').waitFor();
    const windowsRow = page.getByRole('row', { name: /^1\.4\.0/ });
    expect(await windowsRow.innerText()).toMatch(/Stable\s+0\s+.*\s+Active\s+100 %/s);

    await page.getByRole('button', { name: 'Add a version' }).click();
    await modal.getByLabel('Platform').selectOption('linux');
    await modal.getByRole('button', { name: 'Import from server' }).click();
    await modal.getByRole('button', { name: `Use ${linuxArm64.filename}` }).click();
    expect(await modal.getByLabel('Architecture').inputValue()).toBe('arm64');
    expect(await modal.getByLabel('Version', { exact: true }).inputValue()).toBe('1.3.0');
    expect(await modal.getByLabel('SHA-256').inputValue()).toBe(linuxArm64.checksum_sha256);
    await modal.getByRole('button', { name: 'Save' }).click();
    await modal.waitFor({ state: 'hidden' });
    expect(await page.getByRole('tab', { name: 'Linux' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    const linuxRow = page.getByRole('row', { name: /^1\.3\.0/ });
    expect(await linuxRow.innerText()).toContain('arm64');
    await linuxRow.getByRole('button', { name: 'Pause' }).click();
    await linuxRow.getByText('Paused').waitFor();

    const versions = await apiGet<{
      versions: {
        version: string;
        platform: string;
        architecture: string;
        rollout_paused: boolean;
        download_url: string;
      }[];
    }>('/api/agent-versions');
    expect(
      versions.versions.map((v) => `${v.platform}/${v.architecture} ${v.version}`).sort(),
    ).toEqual(['linux/arm64 1.3.0', 'windows/amd64 1.4.0']);
    const imported = versions.versions.find((v) => v.platform === 'linux');
    expect(imported?.rollout_paused).toBe(true);
    expect(imported?.download_url).toBe(
      `${server.publicUrl}/downloads/stable/${linuxArm64.filename}`,
    );

    await page.getByLabel('Lowest Windows build (min_windows_version)').fill('19045');
    await page
      .getByLabel('Message shown on unsupported systems (optional)')
      .fill('Windows 10 22H2 minimum');
    await page
      .getByRole('region', { name: 'Supported OS versions' })
      .getByRole('button', { name: 'Save' })
      .click();
    await page.getByText('The OS requirements are saved.').waitFor();
    const requirements = await (await fetch(url('/agent/requirements'))).json();
    expect(requirements).toEqual({
      min_windows_version: 19045,
      message: 'Windows 10 22H2 minimum',
    });
    await shoot('updates');
  });

  it('downloads the installer under the name the server gives', async () => {
    const windows = page.getByRole('article', { name: /^Windows/ });
    const download = async () => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        windows.getByRole('button', { name: 'Download Windows' }).click(),
      ]);
      return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
    };

    // The stable release names its build's checksum (in capitals through the edit dialog, which
    // the server keeps in its own form); installers are made from it and named after the release.
    const base = fs.readFileSync(
      path.join(server.config.downloadsDir, 'stable', 'optralis-agent-v1.4.0.exe'),
    );
    await page.getByRole('navigation').getByRole('link', { name: 'Updates' }).click();
    await page.getByRole('tab', { name: 'Windows' }).click();
    await page.getByRole('button', { name: 'Edit version 1.4.0' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit version 1.4.0' });
    await edit
      .getByLabel('SHA-256')
      .fill(crypto.createHash('sha256').update(base).digest('hex').toUpperCase());
    await edit.getByLabel('File size (bytes)').fill(String(base.length));
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'hidden' });
    await page.getByRole('navigation').getByRole('link', { name: 'Installation' }).click();
    await windows.getByRole('radio', { name: '10 machines' }).check();
    const exe = await download();
    expect(exe.name).toBe('optralis-agent-v1.4.0.exe');
    expect(exe.bytes.subarray(0, 2).toString('latin1')).toBe('MZ');
    expect(exe.bytes.length).toBeGreaterThan(base.length);
    expect(exe.bytes.includes(PAYLOAD_MARKER)).toBe(true);
    await windows.getByText('Downloaded optralis-agent-v1.4.0.exe').waitFor();
    await shoot('installation-windows-download');

    // The token inside the downloaded EXE enrolls a machine, and the progress counts it.
    await page.getByText('0/10 machines installed').waitFor();
    const { token } = payloadOf(exe.bytes);
    expect((await bootstrap(token ?? '', 'desk-02', 'windows')).status).toBe(200);
    await page.getByText('1/10 machines installed').waitFor();
  });

  it('downloads a personalized Linux script for ARM64 machines', async () => {
    const linux = page.getByRole('article', { name: 'Linux' });
    await linux.getByRole('radio', { name: '50 machines' }).check();
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      linux.getByRole('button', { name: 'Download Linux ARM64' }).click(),
    ]);
    expect(file.suggestedFilename()).toBe('install-optralis-agent.sh');
    const script = fs.readFileSync(await file.path(), 'utf8');
    expect(script.startsWith('#!')).toBe(true);
    expect(script).toContain('arm64');
    expect(script).not.toContain('\r');
    await linux.getByText('Downloaded install-optralis-agent.sh').waitFor();

    const tokens = page.getByRole('table', { name: 'Active install tokens' });
    await expect
      .poll(() => tokens.getByRole('row').filter({ hasText: 'Linux installer' }).innerText(), poll)
      .toMatch(/Linux installer\s+Linux\s+0\/50/);

    const [x64] = await Promise.all([
      page.waitForEvent('download'),
      linux.getByRole('button', { name: 'Download Linux x64' }).click(),
    ]);
    expect(x64.suggestedFilename()).toBe('install-optralis-agent.sh');
    const x64Script = fs.readFileSync(await x64.path(), 'utf8');
    expect(x64Script).toContain('amd64');
    expect(x64Script).not.toBe(script);
  });

  it('gives the PowerShell one-liner with a working token, and the update and uninstall steps', async () => {
    const section = page.getByRole('region', { name: 'Quick Windows installation (PowerShell)' });
    await section.getByLabel('Install from the beta channel').check();
    await section.getByRole('button', { name: 'Generate token', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Windows install token' });
    const command = (
      await dialog.getByRole('figure', { name: 'Command to run' }).locator('code').innerText()
    ).trim();
    const pattern =
      /^irm (\S+)\/install\.ps1 -OutFile install\.ps1; \.\\install\.ps1 -Token "(opt_[\w-]+)" -Beta$/;
    const match = pattern.exec(command);
    expect(match, command).not.toBeNull();
    expect(match?.[1]).toBe(server.publicUrl);
    const script = await fetch(`${match?.[1]}/install.ps1`);
    expect(script.status).toBe(200);
    expect(await script.text()).toMatch(/-Token/);
    expect((await bootstrap(match?.[2] ?? '', 'desk-ps-01', 'windows')).status).toBe(200);
    await expect.poll(() => dialog.innerText(), poll).toContain('1/10');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    const updates = page.getByRole('region', { name: 'Updates' });
    expect(await updates.innerText()).toContain('Agents update themselves');
    const uninstall = page.getByRole('region', { name: 'Uninstallation' });
    const code = (name: string) =>
      uninstall.getByRole('figure', { name }).locator('code').innerText();
    expect(await code('Linux (as root):')).toBe(
      `curl -fsSL ${server.publicUrl}/uninstall.sh | sudo bash`,
    );
    expect(await code('Windows (PowerShell as Administrator):')).toBe(
      '& "C:\\Program Files\\Optralis Agent\\optralis-agent.exe" uninstall',
    );
    expect((await fetch(url('/uninstall.sh'))).status).toBe(200);
  });

  it('follows an unlimited Windows deployment without a bar that would never fill', async () => {
    const unlimited = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'windows_installer',
      maxUsage: 0,
    });
    expect((await bootstrap(unlimited.value, 'desk-u-01', 'windows')).status).toBe(200);
    expect((await bootstrap(unlimited.value, 'desk-u-02', 'windows')).status).toBe(200);
    await page.getByText('2 machines installed (no limit)').waitFor();
    expect(await page.getByRole('progressbar', { name: 'Windows mass deployment' }).count()).toBe(
      0,
    );
    const tokens = page.getByRole('table', { name: 'Active install tokens' });
    await expect
      .poll(() => tokens.getByRole('row').filter({ hasText: '2/∞' }).count(), poll)
      .toBe(1);
  });

  it('switches to French and keeps the choice', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Updates' }).click();
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: 'Mises à jour de l’agent' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await page.reload();
    await page.getByRole('navigation').getByRole('link', { name: 'Mises à jour' }).waitFor();
    expect(await page.getByLabel('Langue').inputValue()).toBe('fr');
  });

  it('shows the documentation page with the mTLS banner (spec test 7)', async () => {
    await page.goto(url('/dashboard/documentation'));
    const banner = page.getByRole('complementary', { name: 'Installation automatique avec mTLS' });
    await banner.waitFor();
    expect(await banner.getByText('NEW', { exact: true }).isVisible()).toBe(true);
    const border = await banner.evaluate((element) => {
      const style = getComputedStyle(element);
      return { width: style.borderTopWidth, color: style.borderTopColor };
    });
    expect(Number.parseFloat(border.width)).toBeGreaterThanOrEqual(2);
    expect(border.color).not.toMatch(/^rgba\(0, 0, 0, 0\)$|^rgb\(255, 255, 255\)$/);
    const description = await banner.innerText();
    expect(description).toContain('WebView2');
    expect(description).toMatch(/automatique/);

    const option1 = page.getByRole('heading', { name: /^Option 1 .*\(WebView2\)$/ });
    await option1.waitFor();
    const exe = page.getByRole('link', { name: 'Télécharger l’installeur Windows' });
    expect(await exe.getAttribute('href')).toBe(
      `${server.publicUrl}/downloads/stable/optralis-agent-v1.4.0.exe`,
    );
    const note = await page.locator('.note').innerText();
    expect(note).toContain('Quick Install');
    expect(note).toContain('installeur personnalisé');
    const command = (name: string) =>
      page.getByRole('figure', { name }).locator('code').innerText();
    expect(
      await command(
        'Dans PowerShell lancé en tant qu’Administrateur, avec un token généré sur la page Installation :',
      ),
    ).toBe(
      `irm ${server.publicUrl}/install.ps1 -OutFile install.ps1; .\\install.ps1 -Token "<TOKEN>"`,
    );
    expect(
      await command(
        'En root sur la machine Linux, avec un token généré sur la page Installation :',
      ),
    ).toBe(`curl -fsSL ${server.publicUrl}/install.sh | sudo bash -s -- --token <TOKEN>`);
    const security = page.getByRole('region', { name: 'Notes de sécurité' });
    expect(await security.getByRole('listitem').count()).toBe(4);
    expect(await security.innerText()).toContain('SHA-256');
    await shoot('documentation');

    await banner.getByRole('link', { name: 'Aller à la page Installation' }).click();
    await page.getByRole('heading', { name: 'Installation', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/installation');
  });

  it('shows the installation page with its installers and the Linux token (spec test 7b)', async () => {
    const personalized = page.getByRole('region', { name: 'Installeur personnalisé' });
    expect(await personalized.innerText()).toContain(
      'Installation automatique, aucune configuration requise',
    );
    const windows = personalized.getByRole('article', { name: /^Windows/ });
    expect(await windows.getByText('NEW', { exact: true }).isVisible()).toBe(true);
    expect(await windows.innerText()).toContain('WebView2 GUI');
    expect(await windows.getByRole('button', { name: 'Télécharger Windows' }).isEnabled()).toBe(
      true,
    );
    const versions = page.getByRole('table', { name: 'Versions actuelles par plateforme' });
    expect(await versions.getByRole('row', { name: /^Windows x64/ }).innerText()).toContain(
      '1.4.0',
    );

    const linux = page.getByRole('region', { name: 'Installation rapide Linux' });
    await linux.getByRole('button', { name: 'Générer token Linux' }).click();
    const dialog = page.getByRole('dialog', { name: 'Token d’installation Linux' });
    const command = await dialog.getByRole('figure').locator('code').innerText();
    expect(command).toMatch(/^curl -fsSL \S+\/install\.sh \| sudo bash -s -- --token opt_[\w-]+$/);
    await dialog.getByRole('timer').waitFor();
    await shoot('installation-fr-token');
    await page.keyboard.press('Escape');
    await shoot('installation-fr');
  });

  it('passes the axe-core accessibility checks on every page and dialog', async () => {
    const found: Record<string, unknown> = {};
    const check = async (name: string) => {
      const violations = await accessibilityViolations(page);
      if (violations.length > 0) found[name] = violations;
    };
    for (const pathname of [
      'machines',
      'installation',
      'documentation',
      'admin/updates',
      'admin/clients',
      'admin/users',
    ]) {
      await page.goto(url(`/dashboard/${pathname}`));
      await page.getByRole('heading', { level: 1 }).waitFor();
      // Every loading line gone (a page may show several at once, as the installation tabs do).
      await page.waitForFunction(
        () =>
          !Array.from(document.querySelectorAll('p')).some((p) =>
            /Chargement/.test(p.textContent ?? ''),
          ),
      );
      await check(pathname);
    }
    await page.goto(url('/dashboard/admin/updates'));
    await page.getByRole('button', { name: 'Ajouter une version' }).click();
    await page.getByRole('button', { name: 'Importer depuis serveur' }).click();
    await page.getByRole('heading', { name: 'Builds du dossier des téléchargements' }).waitFor();
    await check('version dialog');
    await page.goto(url('/dashboard/installation'));
    await page.getByRole('button', { name: 'Générer token', exact: true }).click();
    await page.getByRole('dialog').getByRole('timer').waitFor();
    await check('token dialog');

    const visitor = await browser.newPage();
    // The check itself sees problems: an image without text and a button without a name.
    await visitor.setContent('<main><img src="data:,"><button></button></main>');
    const planted = (await accessibilityViolations(visitor)).map((violation) => violation.rule);
    expect(planted).toEqual(expect.arrayContaining(['image-alt', 'button-name']));

    await visitor.goto(url('/dashboard/login'));
    await visitor.getByRole('heading', { level: 1 }).waitFor();
    const login = await accessibilityViolations(visitor);
    if (login.length > 0) found.login = login;
    await visitor.close();
    expect(found).toEqual({});
  });

  it('fits a phone screen, with the navigation behind a menu button', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const pathname of [
      '/dashboard/machines',
      '/dashboard/installation',
      '/dashboard/documentation',
      '/dashboard/admin/updates',
    ]) {
      await page.goto(url(pathname));
      await page.getByRole('heading', { level: 1 }).waitFor();
      await expect.poll(() => page.locator('[aria-busy="true"]').count(), poll).toBe(0);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow, pathname).toBeLessThanOrEqual(0);
      await shoot(`phone-${pathname.split('/').pop()}`);
    }
    const menu = page.getByRole('button', { name: 'Menu' });
    const link = page.getByRole('navigation').getByRole('link', { name: 'Machines' });
    expect(await link.isVisible()).toBe(false);
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await shoot('phone-menu');
    await link.click();
    await page.getByRole('heading', { name: 'Machines', level: 1 }).waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
  });
});
