import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import {
  commandToken,
  FAST,
  dryRunMachine as machine,
  offerLhm,
} from '../../../../test/support/windows-install';
import { findMachine } from '../../../server/src/machines/store';
import { writeRequirements } from '../../../server/src/releases/policy';
import { findToken } from '../../../server/src/tokens/store';
import { dryRunPlatform } from '../windows/dry-run';
import { EXIT } from './errors';
import { type InstallRequest, runInstall } from './installer';
import { runUninstall } from './uninstall';

describe('the Windows installer’s steps, on the dry-run platform against a real server', () => {
  let server: TestServer;
  let downloads: string;

  beforeAll(async () => {
    server = await startTestServer();
    downloads = server.config.downloadsDir;
  });

  afterAll(async () => {
    await server?.stop();
  });

  const newToken = (maxUsage = 1) => commandToken(server, maxUsage);

  function tokenRequest(token: string, extra: Partial<InstallRequest> = {}): InstallRequest {
    return {
      credentials: { kind: 'token', token, serverUrl: server.publicUrl, source: 'file' },
      channel: 'stable',
      withLhm: false,
      ...extra,
    };
  }

  it('enrolls, writes the spec’s files and config.json, and installs a running service', async () => {
    const token = await newToken();
    const m = machine();
    const outcome = await runInstall(tokenRequest(token.value), m.deps);
    expect(outcome, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      exitCode: 0,
      code: 'installed',
      identity: 'enrolled',
    });
    const { paths } = m.platform;
    expect(fs.readFileSync(paths.agentExe, 'utf8')).toBe('MZ the agent executable');
    expect(fs.readFileSync(paths.wrapperExe).subarray(0, 2).toString()).toBe('MZ');
    expect(fs.readFileSync(paths.wrapperXml, 'utf8')).toContain('<id>OptralisAgent</id>');
    expect(fs.existsSync(paths.wrapperRuntimeConfig)).toBe(true);

    const config = JSON.parse(fs.readFileSync(paths.configFile, 'utf8'));
    expect(Object.keys(config).slice(0, 5)).toEqual([
      'api_url',
      'interval',
      'mtls_enabled',
      'mtls_cert_path',
      'mtls_key_path',
    ]);
    expect(config).toMatchObject({
      api_url: server.agentApiUrl,
      interval: 10,
      mtls_enabled: true,
      mtls_cert_path: paths.clientCert,
      mtls_key_path: paths.clientKey,
      machine_id: outcome.machineId,
    });
    expect(fs.readFileSync(paths.caCert, 'utf8')).toBe(server.ctx.ca.certificatePem);
    expect(fs.readFileSync(paths.clientKey, 'utf8')).toContain('PRIVATE KEY');

    // The machine is known with this Windows' MachineGuid, read through reg.exe.
    const row = await findMachine(server.ctx.db, outcome.machineId as string, token.clientId);
    const guid = m.platform.windows.lines('reg.exe').find((line) => line.includes('MachineGuid'));
    expect(guid).toBe('query HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid /reg:64');
    expect(row?.hardware_id).toMatch(/^[0-9a-f-]{36}$/);

    // The data folder is locked down before the key is written into it.
    const commands = m.platform.windows.commands.map((c) => `${c.tool} ${c.args[0]}`);
    expect(commands.indexOf(`icacls.exe ${paths.dataDir}`)).toBeGreaterThanOrEqual(0);
    expect(m.platform.windows.lines('icacls.exe')[1]).toBe(
      `${paths.dataDir} /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F /Q`,
    );
    const service = m.platform.windows.services.get('OptralisAgent');
    expect(service).toEqual({
      state: 'running',
      binPath: `"${paths.wrapperExe}"`,
      start: 'auto',
      failureActions: 'restart/5000/restart/10000/restart/60000',
    });
    expect(
      m.platform.windows.registry
        .get('hklm\\software\\microsoft\\windows\\currentversion\\uninstall\\optralisagent')
        ?.get('QuietUninstallString'),
    ).toBe(`"${paths.agentExe}" uninstall -silent`);

    expect(
      m.events.filter((e) => e.event === 'step').map((e) => e.event === 'step' && e.index),
    ).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const log = fs.readFileSync(m.logFile, 'utf8');
    expect(log).toContain('[7/7] Démarrage du service');
    expect(log).not.toContain(token.value);
    expect(log).not.toContain('PRIVATE KEY');
  });

  it('running it again repairs in place and keeps the identity, without a token', async () => {
    const token = await newToken(1);
    const m = machine();
    const first = await runInstall(tokenRequest(token.value), m.deps);
    expect(first.ok).toBe(true);
    const keyBefore = fs.readFileSync(m.platform.paths.clientKey, 'utf8');
    fs.rmSync(m.platform.paths.wrapperXml);
    m.platform.windows.services.get('OptralisAgent')!.start = 'demand';

    const again = await runInstall({ channel: 'stable', withLhm: false }, m.deps);
    expect(again).toMatchObject({ ok: true, identity: 'kept', machineId: first.machineId });
    expect(fs.readFileSync(m.platform.paths.clientKey, 'utf8')).toBe(keyBefore);
    expect(fs.existsSync(m.platform.paths.wrapperXml)).toBe(true);
    expect(m.platform.windows.services.get('OptralisAgent')?.start).toBe('auto');
    expect(m.platform.windows.lines('sc.exe').filter((l) => l.startsWith('config'))).toHaveLength(
      1,
    );
    expect(m.platform.windows.lines('sc.exe')).toContain('stop OptralisAgent');
    // The one use of the token was spent by the first install only.
    expect((await findToken(server.ctx.db, token.id, token.clientId))?.usage_count).toBe(1);
  });

  it('-beta puts the machine on the beta channel at enrollment', async () => {
    const token = await newToken();
    const m = machine();
    const outcome = await runInstall(tokenRequest(token.value, { channel: 'beta' }), m.deps);
    expect(outcome.ok).toBe(true);
    const row = await findMachine(server.ctx.db, outcome.machineId as string, token.clientId);
    expect(row?.channel).toBe('beta');
    expect(JSON.parse(fs.readFileSync(m.platform.paths.configFile, 'utf8')).channel).toBe('beta');
  });

  it('refuses an unsupported Windows before using the token', async () => {
    const token = await newToken();
    const m = machine({ build: 17134, productName: 'Windows 10 Pro' });
    const outcome = await runInstall(tokenRequest(token.value), m.deps);
    expect(outcome).toMatchObject({
      ok: false,
      exitCode: EXIT.unsupportedOs,
      code: 'unsupported_os',
    });
    expect(outcome.message).toBe(
      "Ce système (Windows 10 Pro (build 17134)) n'est pas pris en charge. Optralis Agent nécessite Windows 10 LTSC 2019 / Windows Server 2019 (build 17763) ou plus récent.",
    );
    expect((await findToken(server.ctx.db, token.id, token.clientId))?.usage_count).toBe(0);
    expect(fs.existsSync(m.platform.paths.programDir)).toBe(false);
  });

  it('follows the server’s minimum and message, and the fallback when the server is away', async () => {
    await writeRequirements(
      server.ctx,
      { min_windows_version: 19045, message: 'Mettez à jour en 22H2.' },
      'test',
    );
    try {
      const refused = machine({ build: 19044 });
      const outcome = await runInstall(tokenRequest((await newToken()).value), refused.deps);
      expect(outcome.code).toBe('unsupported_os');
      expect(outcome.message).toContain(
        'Windows build 19045 ou plus récent.\nMettez à jour en 22H2.',
      );
    } finally {
      await writeRequirements(server.ctx, { min_windows_version: 17763, message: null }, 'test');
    }
    // 18362 passes the fallback minimum even though the server cannot be reached.
    const away = machine({ build: 18362 });
    const outcome = await runInstall(
      { ...tokenRequest('opt_unused'), serverUrl: 'http://127.0.0.1:9' },
      away.deps,
    );
    expect(fs.readFileSync(away.logFile, 'utf8')).toContain('minimum par défaut, build 17763');
    expect(outcome.code).not.toBe('unsupported_os');
  });

  it('reports a refused token with its code and status, and installs nothing', async () => {
    const m = machine();
    const outcome = await runInstall(
      tokenRequest('opt_not-a-real-token-000000000000000000000000'),
      m.deps,
    );
    expect(outcome).toMatchObject({ ok: false, exitCode: EXIT.enrollmentRefused });
    expect(outcome.message).toMatch(/^Inscription refusée par le serveur/);
    expect(fs.existsSync(m.platform.paths.agentExe)).toBe(false);
    expect(m.platform.windows.services.size).toBe(0);
  });

  it('says so when there is neither a token nor an identity', async () => {
    const m = machine();
    const outcome = await runInstall({ channel: 'stable', withLhm: false }, m.deps);
    expect(outcome).toMatchObject({ exitCode: EXIT.noCredentials, code: 'no_credentials' });
  });

  it('installs LHM from the channel’s downloads when present, and goes on without it when not', async () => {
    const m = machine();
    const withoutLhm = await runInstall(
      tokenRequest((await newToken()).value, { withLhm: true }),
      m.deps,
    );
    expect(withoutLhm).toMatchObject({ ok: true, lhm: { status: 'unavailable' } });
    expect(m.events).toContainEqual(
      expect.objectContaining({
        event: 'notice',
        level: 'warning',
        message: expect.stringContaining('LHM non installé'),
      }),
    );

    const withdraw = offerLhm(downloads);
    try {
      const again = await runInstall(
        { channel: 'stable', withLhm: true, serverUrl: server.publicUrl },
        m.deps,
      );
      expect(again).toMatchObject({
        ok: true,
        identity: 'kept',
        lhm: { status: 'installed', files: 2 },
      });
      const lhm = m.platform.paths.lhmDir;
      expect(fs.readFileSync(path.join(lhm, 'lhm-wrapper.exe'), 'utf8')).toBe('MZ lhm');
      expect(fs.existsSync(path.join(lhm, 'lib', 'LibreHardwareMonitorLib.dll'))).toBe(true);
    } finally {
      withdraw();
    }
  });

  it('fails with status 11 when the service does not stay running, keeping what it installed', async () => {
    const m = machine({ serviceFailsToStart: true });
    const outcome = await runInstall(tokenRequest((await newToken()).value), m.deps);
    expect(outcome).toMatchObject({
      ok: false,
      exitCode: EXIT.serviceFailed,
      code: 'service_start_failed',
    });
    expect(fs.existsSync(m.platform.paths.configFile)).toBe(true);
    expect(m.platform.windows.services.get('OptralisAgent')?.state).toBe('stopped');
  });

  it('a repair that fails after stopping the service starts the old agent again', async () => {
    const m = machine();
    expect((await runInstall(tokenRequest((await newToken()).value), m.deps)).ok).toBe(true);
    // The program folder cannot be written this time: a file stands where the folder should be.
    fs.rmSync(m.platform.paths.programDir, { recursive: true });
    fs.writeFileSync(m.platform.paths.programDir, 'in the way');
    const outcome = await runInstall({ channel: 'stable', withLhm: false }, m.deps);
    expect(outcome).toMatchObject({ ok: false, exitCode: EXIT.installFailed });
    expect(m.platform.windows.lines('sc.exe').slice(-3)).toEqual([
      'query OptralisAgent',
      'start OptralisAgent',
      'query OptralisAgent',
    ]);
    expect(m.platform.windows.services.get('OptralisAgent')?.state).toBe('running');
    expect(fs.readFileSync(m.logFile, 'utf8')).toContain(
      'Le service OptralisAgent a été redémarré',
    );
  });

  it('a service sc cannot see for a moment (Wine) is found through its registry key', async () => {
    const m = machine();
    expect((await runInstall(tokenRequest((await newToken()).value), m.deps)).ok).toBe(true);
    const run = m.platform.windows.run.bind(m.platform.windows);
    let hidden = 1;
    m.platform.windows.run = async (file, args) => {
      if (args[0] === 'query' && args[1] === 'OptralisAgent' && hidden > 0) {
        hidden -= 1;
        return { code: 1, stdout: '', stderr: '' };
      }
      if (args[0] === 'query' && String(args[1]).endsWith('\\Services\\OptralisAgent')) {
        return { code: 0, stdout: '    ImagePath    REG_EXPAND_SZ    x\r\n', stderr: '' };
      }
      return run(file, args);
    };
    const outcome = await runUninstall({ platform: m.platform, log: m.deps.log, service: FAST });
    expect(outcome.ok).toBe(true);
    expect(m.platform.windows.services.size).toBe(0);
  });

  it('refuses to run beside another install, and without administrator rights', async () => {
    const m = machine();
    fs.mkdirSync(m.platform.paths.dataDir, { recursive: true });
    fs.writeFileSync(m.platform.paths.lockFile, String(process.ppid));
    const busy = await runInstall(tokenRequest('opt_x'), m.deps);
    expect(busy).toMatchObject({ exitCode: EXIT.busy, code: 'busy' });
    fs.rmSync(m.platform.paths.lockFile);

    const user = machine({ administrator: false });
    expect(await runInstall(tokenRequest('opt_x'), user.deps)).toMatchObject({
      exitCode: EXIT.notAdministrator,
    });
  });

  it('uninstall removes the service, the files, the certificates and the entry', async () => {
    const m = machine();
    expect((await runInstall(tokenRequest((await newToken()).value), m.deps)).ok).toBe(true);
    const outcome = await runUninstall({ platform: m.platform, log: m.deps.log, service: FAST });
    expect(outcome).toMatchObject({ ok: true, exitCode: 0, code: 'uninstalled' });
    expect(m.platform.windows.services.size).toBe(0);
    expect(m.platform.windows.lines('sc.exe').slice(-5)).toEqual([
      'query OptralisAgent',
      'query OptralisAgent',
      'stop OptralisAgent',
      'query OptralisAgent',
      'delete OptralisAgent',
    ]);
    expect(fs.existsSync(m.platform.paths.programDir)).toBe(false);
    expect(fs.existsSync(m.platform.paths.dataDir)).toBe(false);
    expect(m.platform.windows.registry.size).toBe(0);
  });

  it('uninstall run from the installed copy leaves its own file to a command that runs after it', async () => {
    const first = machine();
    expect((await runInstall(tokenRequest((await newToken()).value), first.deps)).ok).toBe(true);
    const installed = dryRunPlatform({
      root: first.root,
      ownExecutable: first.platform.paths.agentExe,
    });
    for (const [name, service] of first.platform.windows.services)
      installed.windows.services.set(name, service);
    const outcome = await runUninstall({ platform: installed, log: first.deps.log, service: FAST });
    expect(outcome.ok).toBe(true);
    expect(fs.readdirSync(installed.paths.programDir)).toEqual(['optralis-agent.exe']);
    expect(installed.detached).toEqual([
      {
        tool: 'cmd.exe',
        args: [
          '/d',
          '/s',
          '/c',
          `"ping -n 4 127.0.0.1 >nul & rmdir /s /q "${installed.paths.programDir}""`,
        ],
      },
    ]);
  });
});
