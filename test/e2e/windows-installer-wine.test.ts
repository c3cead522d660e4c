import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peChecksum } from '../../packages/agent/src/install/strip-payload';
import { readOwnPayload } from '../../packages/agent/src/payload';
import { readPeLayout } from '../../packages/protocol/src/installer-payload/pe';
import { createClient } from '../../packages/server/src/clients/store';
import { findMachine } from '../../packages/server/src/machines/store';
import { writeRequirements } from '../../packages/server/src/releases/policy';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { findToken } from '../../packages/server/src/tokens/store';
import { readWindowsResources } from '../../scripts/agent/windows-resources.mjs';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import {
  newWinePrefix,
  runToFiles,
  stopWine,
  WINE,
  wineMachineGuid,
  winePath,
  wineServiceEntry,
} from '../support/foreign';
import { startTestServer, type TestServer } from '../support/server';
import { login } from '../support/sessions';

const VERSION = '1.0.0';
const WINSW_SHA256 = '5859b114d96800a2b98ef9d19eaa573a786a422dad324547ef25be181389df01';

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * The Windows executable as the installer, under Wine 8. Wine has sc.exe and reg.exe but no
 * .NET: WinSW cannot run, so the service is created and then cannot start (status 11, said in
 * the log); everything before it is the real thing.
 */
describe('the Windows installer under Wine', () => {
  let build: AgentBuild<'windows-amd64'>;
  let server: TestServer;
  let env: Record<string, string>;
  let prefix: string;
  let exe: string;

  beforeAll(async () => {
    build = await ensureAgentBuild({
      version: VERSION,
      channel: 'stable',
      targets: ['windows-amd64'],
    });
    exe = build.files['windows-amd64'];
    // The build's directory is the server's downloads: personalized installers are made from it.
    server = await startTestServer({ env: { OPTRALIS_DOWNLOADS_DIR: build.dir } });
    // No .NET and no HTML engine: Wine must not try to install them.
    env = { ...(await newWinePrefix()), WINEDLLOVERRIDES: 'mscoree,mshtml=' };
    prefix = env.WINEPREFIX as string;
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function newToken() {
    const client = await createClient(server.ctx.db, `wine-${crypto.randomUUID()}`, new Date());
    const token = await createInstallToken(server.ctx, {
      clientId: client.id,
      createdBy: 'test',
      kind: 'command',
    });
    fs.writeFileSync(winePath(prefix, 'C:\\token.txt'), `${token.value}\r\n`);
    return { clientId: client.id, id: token.row.id };
  }

  const installer = (args: string[]) => runToFiles(WINE, [exe, ...args], env);

  it('is a GUI program with its icon, version information and an asInvoker manifest', () => {
    const resources = readWindowsResources(fs.readFileSync(exe));
    expect(resources.subsystem).toBe(2);
    expect(resources.strings).toMatchObject({
      ProductName: 'Optralis Agent',
      FileVersion: VERSION,
      OriginalFilename: 'optralis-agent.exe',
    });
    expect(resources.iconGroups).toEqual([{ id: 1, icons: 6 }]);
    expect(resources.manifest).toContain(
      '<requestedExecutionLevel level="asInvoker" uiAccess="false"/>',
    );
    // The PE checksum is the file's own, not the one Node's release had.
    const bytes = fs.readFileSync(exe);
    const layout = readPeLayout(bytes.subarray(0, 65536));
    expect(layout?.checksum).toBe(peChecksum(bytes, layout?.checksumOffset as number));
  });

  it('refuses a Windows below the server’s minimum before using the token', async () => {
    const token = await newToken();
    await writeRequirements(
      server.ctx,
      { min_windows_version: 19045, message: 'Windows 10 22H2 requis.' },
      'test',
    );
    try {
      const result = await installer([
        '-silent',
        '-url',
        server.publicUrl,
        '-token-file',
        'C:\\token.txt',
      ]);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stdout).toContain("(build 18362)) n'est pas pris en charge");
      expect(result.stdout).toContain('Windows 10 22H2 requis.');
    } finally {
      await writeRequirements(server.ctx, { min_windows_version: 17763, message: null }, 'test');
    }
    expect((await findToken(server.ctx.db, token.id, token.clientId))?.usage_count).toBe(0);
    expect(fs.existsSync(winePath(prefix, 'C:\\Program Files\\Optralis Agent'))).toBe(false);
  });

  it('installs: enrollment with MachineGuid, the spec’s files, sc create; the installed agent then talks to the server', async () => {
    const token = await newToken();
    const result = await installer([
      '-silent',
      '-url',
      server.publicUrl,
      '-token-file',
      'C:\\token.txt',
      '-log',
      'C:\\install.log',
    ]);
    const log = fs.readFileSync(winePath(prefix, 'C:\\install.log'), 'utf8');
    // Everything but the service start, which needs .NET.
    expect(result.code, log).toBe(11);
    for (let step = 1; step <= 7; step += 1) expect(result.stdout).toContain(`[${step}/7]`);
    expect(log).toContain("Le service OptralisAgent n'a pas démarré");
    expect(log).not.toContain(fs.readFileSync(winePath(prefix, 'C:\\token.txt'), 'utf8').trim());

    const data = 'C:\\ProgramData\\optralis-agent';
    const config = JSON.parse(fs.readFileSync(winePath(prefix, `${data}\\config.json`), 'utf8'));
    const machineId = config.machine_id as string;
    expect(config).toEqual({
      api_url: server.agentApiUrl,
      interval: 10,
      mtls_enabled: true,
      mtls_cert_path: `${data}\\client.crt`,
      mtls_key_path: `${data}\\client.key`,
      ca_cert_path: `${data}\\ca.crt`,
      public_url: server.publicUrl,
      channel: 'stable',
      client_id: token.clientId,
      machine_id: machineId,
    });
    expect(fs.readFileSync(winePath(prefix, `${data}\\client.key`), 'utf8')).toContain(
      '-----BEGIN PRIVATE KEY-----',
    );
    expect(fs.readFileSync(winePath(prefix, `${data}\\client.crt`), 'utf8')).toContain(
      '-----BEGIN CERTIFICATE-----',
    );
    expect(fs.readFileSync(winePath(prefix, `${data}\\ca.crt`), 'utf8')).toBe(
      server.ctx.ca.certificatePem,
    );

    const program = 'C:\\Program Files\\Optralis Agent';
    expect(sha256(winePath(prefix, `${program}\\optralis-agent.exe`))).toBe(sha256(exe));
    expect(sha256(winePath(prefix, `${program}\\optralis-agent-service.exe`))).toBe(WINSW_SHA256);
    expect(
      fs.readFileSync(winePath(prefix, `${program}\\optralis-agent-service.xml`), 'utf8'),
    ).toContain(`<executable>${program}\\optralis-agent.exe</executable>`);

    // sc create was issued: the service's registry entry is checked once Wine has written it out.

    // The installed agent, with only what the installer wrote, sends a heartbeat over mTLS.
    const heartbeat = await runToFiles(
      WINE,
      [`${program}\\optralis-agent.exe`, 'run', '--once'],
      env,
    );
    expect(heartbeat.code, heartbeat.stderr).toBe(0);
    const machine = await findMachine(server.ctx.db, machineId, token.clientId);
    expect(machine?.last_seen_at).not.toBeNull();
    expect(machine?.agent_version).toBe(VERSION);

    await stopWine(env);
    expect(machine?.hardware_id).toBe(wineMachineGuid(prefix));
    expect(wineServiceEntry(prefix, 'OptralisAgent')).toMatchObject({
      ImagePath: '"\\"C:\\\\Program Files\\\\Optralis Agent\\\\optralis-agent-service.exe\\""',
      Start: 'dword:00000002',
      DisplayName: '"Optralis Agent"',
      ObjectName: '"LocalSystem"',
    });
  });

  it('running it again keeps the identity; uninstall removes the service, files and certificates', async () => {
    const data = winePath(prefix, 'C:\\ProgramData\\optralis-agent');
    const before = fs.readFileSync(path.join(data, 'client.key'), 'utf8');
    const repair = await installer(['-silent']);
    expect(repair.code, repair.stdout).toBe(11);
    expect(repair.stdout).toContain("l'identité est conservée");
    expect(fs.readFileSync(path.join(data, 'client.key'), 'utf8')).toBe(before);

    const removed = await installer(['uninstall', '-silent']);
    expect(removed.code, removed.stdout).toBe(0);
    expect(removed.stdout).toContain('Optralis Agent a été désinstallé.');
    expect(fs.existsSync(data)).toBe(false);
    expect(fs.existsSync(winePath(prefix, 'C:\\Program Files\\Optralis Agent'))).toBe(false);
    await stopWine(env);
    expect(wineServiceEntry(prefix, 'OptralisAgent')).toBeUndefined();
  });

  it('a personalized installer from the dashboard installs with -silent alone, and leaves no token in Program Files', async () => {
    const admin = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const client = await createClient(
      server.ctx.db,
      `wine-payload-${crypto.randomUUID()}`,
      new Date(),
    );
    const answer = await server.publicApp.inject({
      method: 'GET',
      url: `/api/installer/windows?max_usage=1&client_id=${client.id}`,
      headers: { authorization: `Bearer ${admin}`, 'accept-encoding': 'identity' },
    });
    expect(answer.statusCode, answer.body.slice(0, 200)).toBe(200);
    const setup = winePath(prefix, 'C:\\users\\Public\\optralis-agent-setup.exe');
    fs.writeFileSync(setup, answer.rawPayload);
    const payload = readOwnPayload(setup);
    expect(payload?.config.client_id).toBe(client.id);

    const result = await runToFiles(WINE, [setup, '-silent', '-log', 'C:\\payload.log'], env);
    const log = fs.readFileSync(winePath(prefix, 'C:\\payload.log'), 'utf8');
    expect(result.code, log).toBe(11);
    expect(log).toContain('Machine inscrite');

    const config = JSON.parse(
      fs.readFileSync(winePath(prefix, 'C:\\ProgramData\\optralis-agent\\config.json'), 'utf8'),
    );
    expect(config).toMatchObject({
      client_id: client.id,
      public_url: server.publicUrl,
      mtls_enabled: true,
    });
    // The program folder holds the release itself: the payload (and its token) was left out.
    const installed = winePath(prefix, 'C:\\Program Files\\Optralis Agent\\optralis-agent.exe');
    expect(sha256(installed)).toBe(sha256(exe));
    expect(readOwnPayload(installed)).toBeUndefined();
    const token = await findToken(server.ctx.db, payload?.config.token_id as string, client.id);
    expect(token?.usage_count).toBe(1);

    const removed = await installer(['uninstall', '-silent']);
    expect(removed.code, removed.stdout).toBe(0);
  });
});
