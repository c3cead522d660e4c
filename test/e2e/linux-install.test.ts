import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../packages/server/src/auth/store';
import { createClient } from '../../packages/server/src/clients/store';
import { findMachine, listMachines } from '../../packages/server/src/machines/store';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { findToken } from '../../packages/server/src/tokens/store';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import {
  type FakeSystemd,
  fakeSystemd,
  inMountNamespace,
  modeOf,
  q,
  sh,
  tokenFile,
  UNIT,
  until,
} from '../support/linux-install';
import { scriptSettings } from '../support/linux-scripts';
import { startServerProcess } from '../support/processes';
import { startTestServer, type TestServer, tempDir } from '../support/server';
import { login } from '../support/sessions';

const sha256 = (file: string) =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('installing the agent on Linux with the scripts the server serves', () => {
  let build: AgentBuild<'linux-amd64'>;
  let server: TestServer;
  const running: FakeSystemd[] = [];

  beforeAll(async () => {
    build = await ensureAgentBuild({
      version: '1.0.0',
      channel: 'stable',
      targets: ['linux-amd64'],
    });
    server = await startTestServer({
      env: { OPTRALIS_DOWNLOADS_DIR: build.dir, OPTRALIS_LOGIN_RATE: '0' },
    });
  });

  afterEach(() => {
    for (const systemd of running.splice(0)) systemd.stop();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function newClient(name: string) {
    const client = await createClient(server.ctx.db, name, new Date());
    const made = await createInstallToken(server.ctx, {
      clientId: client.id,
      createdBy: 'test',
      kind: 'command',
      maxUsage: 5,
    });
    return { clientId: client.id, token: made.value, tokenId: made.row.id };
  }

  function systemdFor(root: string) {
    const systemd = fakeSystemd(root);
    running.push(systemd);
    return systemd;
  }

  /** The agent of `root` has sent a heartbeat over mutual TLS: the server knows its version. */
  async function heartbeatArrives(clientId: string, machineId: string) {
    await until(async () => {
      const machine = await findMachine(server.ctx.db, machineId, clientId);
      return machine?.last_seen_at !== null && machine?.agent_version === '1.0.0';
    });
  }

  function installedConfig(root: string) {
    return JSON.parse(fs.readFileSync(path.join(root, 'etc/optralis-agent/config.json'), 'utf8'));
  }

  /** A personalized script downloaded by an administrator of a new client, saved as a file. */
  async function personalizedScript(name: string, query = '') {
    const client = await createClient(server.ctx.db, name, new Date());
    const email = `it@${client.id.toLowerCase()}.test`;
    const password = 'a-long-enough-password';
    const role = 'client_admin';
    await createUser(server.ctx.db, { email, password, role, clientId: client.id }, new Date());
    const session = await login(server.publicApp, email, password);
    const download = await server.publicApp.inject({
      method: 'GET',
      url: `/api/installer/linux/amd64${query}`,
      headers: { authorization: `Bearer ${session}` },
    });
    expect(download.statusCode).toBe(200);
    const script = path.join(tempDir('download'), 'install-optralis-agent.sh');
    fs.writeFileSync(script, download.body, { mode: 0o755 });
    return { clientId: client.id, script, settings: scriptSettings(download.body) };
  }

  it('installs with the curl one-liner, runs as a service, repairs in place, uninstalls', async () => {
    const { clientId, token, tokenId } = await newClient('One-liner');
    const root = tempDir('root');
    const systemd = systemdFor(root);
    const url = server.publicUrl;

    const installed = await sh(
      `curl -fsSL ${url}/install.sh | bash -s -- --token-file ${q(tokenFile(token))} --root ${root}`,
      systemd.env,
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('Checksum verified: optralis-agent 1.0.0 linux/amd64');
    expect(`${installed.stdout}${installed.stderr}`).not.toContain(token);

    const config = installedConfig(root);
    expect(config).toMatchObject({
      api_url: server.agentApiUrl,
      mtls_enabled: true,
      mtls_cert_path: `${root}/etc/optralis-agent/client.crt`,
      mtls_key_path: `${root}/etc/optralis-agent/client.key`,
      client_id: clientId,
      channel: 'stable',
    });
    expect(modeOf(`${root}/etc/optralis-agent`)).toBe('700');
    expect(modeOf(`${root}/etc/optralis-agent/client.key`)).toBe('600');
    expect(modeOf(`${root}/etc/optralis-agent/config.json`)).toBe('600');
    expect(modeOf(`${root}/usr/local/bin/optralis-agent`)).toBe('755');
    expect(fs.statSync(`${root}/etc/optralis-agent`).uid).toBe(0);
    expect(sha256(`${root}/usr/local/bin/optralis-agent`)).toBe(sha256(build.files['linux-amd64']));
    expect(fs.existsSync(`${root}/var/log/optralis-agent`)).toBe(true);

    const unitFile = `${root}/etc/systemd/system/${UNIT}`;
    const unit = fs.readFileSync(unitFile, 'utf8');
    expect(unit).toContain(
      `ExecStart=${root}/usr/local/bin/optralis-agent run --config-dir ${root}/etc/optralis-agent --log-dir ${root}/var/log/optralis-agent`,
    );
    const settings = unit.split('\n').filter((line) => /^[A-Z]\w*=/.test(line));
    expect(settings).toEqual(
      expect.arrayContaining([
        'Restart=on-failure',
        // 78: the agent cannot use its configuration; restarting it would only loop.
        'RestartPreventExitStatus=78',
        'UMask=0077',
        'ProtectSystem=strict',
        `ReadWritePaths=-${root}/usr/local/bin -${root}/etc/optralis-agent -${root}/var/log/optralis-agent`,
        'ProtectHome=read-only',
        'PrivateTmp=yes',
        'NoNewPrivileges=yes',
        'ProtectKernelTunables=yes',
        'ProtectKernelModules=yes',
        'ProtectKernelLogs=yes',
        'ProtectControlGroups=yes',
        'ProtectClock=yes',
        'RestrictSUIDSGID=yes',
        'RestrictRealtime=yes',
        'RestrictNamespaces=yes',
        'LockPersonality=yes',
        'SystemCallArchitectures=native',
        'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
      ]),
    );
    const verified = await sh(`systemd-analyze verify ${q(unitFile)}`);
    expect(verified.stderr + verified.stdout).toBe('');
    // systemd's own review of the unit (offline: systemd is not process 1 here). The agent runs
    // as root to update itself and read the machine, so 6.0 "medium" is its floor; higher means
    // a hardening line was lost.
    const review = await sh(`systemd-analyze security --offline=yes --threshold=60 ${q(unitFile)}`);
    expect(review.code, review.stdout).toBe(0);
    expect(review.stdout).toMatch(/Overall exposure level for optralis-agent\.service: [0-6]\.\d/);
    expect(systemd.calls()).toEqual(
      expect.arrayContaining([`link ${unitFile}`, 'daemon-reload', `enable ${UNIT}`]),
    );
    expect(systemd.enabled()).toBe(true);
    expect(systemd.active()).toBe(true);
    await heartbeatArrives(clientId, config.machine_id);
    const log = `${root}/var/log/optralis-agent/agent.log`;
    await until(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('agent started'));

    const again = await sh(`curl -fsSL ${url}/install.sh | bash -s -- --root ${root}`, systemd.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`keeps its identity: machine ${config.machine_id}`);
    expect(installedConfig(root).machine_id).toBe(config.machine_id);
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(1);
    expect(await listMachines(server.ctx.db, clientId)).toHaveLength(1);
    expect(systemd.active()).toBe(true);

    const removed = await sh(`curl -fsSL ${url}/uninstall.sh | bash -s -- --root ${root}`, {
      ...systemd.env,
    });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`machine ${config.machine_id}`);
    expect(fs.readdirSync(root)).toEqual([]);
    expect(systemd.enabled()).toBe(false);
    expect(systemd.active()).toBe(false);

    const twice = await sh(`curl -fsSL ${url}/uninstall.sh | bash -s -- --root ${root}`, {
      ...systemd.env,
    });
    expect(twice.code, twice.stderr).toBe(0);
    expect(twice.stdout).toContain('not installed');
  });

  it('installs with the personalized script; its token is in no program’s arguments', async () => {
    const { clientId, script, settings } = await personalizedScript('Personalized');
    const token = Buffer.from(settings.EMBEDDED_TOKEN ?? '', 'base64').toString();
    expect(token).toMatch(/^opt_/);

    // Traced without the service, whose processes strace would follow for ever.
    const root = tempDir('root');
    const trace = path.join(tempDir('strace'), 'execve.log');
    const installed = await sh(
      `strace -f -qq --seccomp-bpf -e trace=execve -s 100000 -o ${q(trace)} ${q(script)} --root ${root} --no-service`,
    );
    expect(installed.code, installed.stderr).toBe(0);
    const execs = fs.readFileSync(trace, 'utf8');
    expect(execs).toContain('optralis-agent.install.');
    expect(execs).toContain('"enroll"');
    expect(execs).not.toContain(token);
    expect(`${installed.stdout}${installed.stderr}`).not.toContain(token);

    const config = installedConfig(root);
    expect(config.client_id).toBe(clientId);

    // Run again, now with the service: same identity, and the service's agent reports in.
    const systemd = systemdFor(root);
    const again = await sh(`${q(script)} --root ${root}`, systemd.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`keeps its identity: machine ${config.machine_id}`);
    expect(systemd.active()).toBe(true);
    await heartbeatArrives(clientId, config.machine_id);

    const removed = await sh(
      `bash -c "$(curl -fsSL ${server.publicUrl}/uninstall.sh)" - --root ${root}`,
      systemd.env,
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('installs the certificate a certificate-mode script carries, for that one machine', async () => {
    const { clientId, script, settings } = await personalizedScript(
      'Certificate',
      '?mode=certificate',
    );
    const machineId = settings.MACHINE_ID as string;

    const root = tempDir('root');
    const systemd = systemdFor(root);
    const installed = await sh(`${q(script)} --root ${root}`, systemd.env);
    expect(installed.code, installed.stderr).toBe(0);
    // The machine's private key is written to its file and shown nowhere: neither the PEM, nor
    // any line of its body, nor the base64 the script carries it in.
    const output = `${installed.stdout}${installed.stderr}`;
    const key = Buffer.from(settings.EMBEDDED_KEY ?? '', 'base64').toString();
    const body = key.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
    expect(key).toContain('PRIVATE KEY-----');
    expect(body.length).toBeGreaterThan(0);
    expect(output).not.toContain('PRIVATE KEY');
    for (const line of body) expect(output).not.toContain(line);
    expect(output).not.toContain((settings.EMBEDDED_KEY ?? '').slice(0, 40));
    expect(fs.readFileSync(`${root}/etc/optralis-agent/client.key`, 'utf8')).toBe(key);
    expect(installedConfig(root)).toMatchObject({
      machine_id: machineId,
      client_id: clientId,
      api_url: server.agentApiUrl,
      mtls_key_path: `${root}/etc/optralis-agent/client.key`,
    });
    expect(modeOf(`${root}/etc/optralis-agent/client.key`)).toBe('600');
    await heartbeatArrives(clientId, machineId);
    expect(await listMachines(server.ctx.db, clientId)).toHaveLength(1);

    const removed = await sh(
      `curl -fsSL ${server.publicUrl}/uninstall.sh | bash -s -- --root ${root}`,
      systemd.env,
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('the one-liner `optralis serve --demo` prints enrolls this very machine', async () => {
    const dataDir = tempDir('demo');
    const demo = await startServerProcess(
      { OPTRALIS_DATA_DIR: dataDir, OPTRALIS_DOWNLOADS_DIR: build.dir },
      ['--demo'],
    );
    try {
      await until(() => demo.output().includes('"install_command"'));
      const printed = demo
        .output()
        .split('\n')
        .filter((line) => line.includes('"install_command"'))
        .map((line) => JSON.parse(line) as { install_command: string; token_file: string })[0];
      const tokenFileName = path.join(dataDir, 'demo-install.token');
      expect(printed?.token_file).toBe(tokenFileName);
      expect(modeOf(tokenFileName)).toBe('600');
      const token = fs.readFileSync(tokenFileName, 'utf8').trim();
      expect(demo.output()).not.toContain(token);
      // Without sudo when the demo runs as root, as it does here and on a minimal Debian.
      const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
      expect(printed?.install_command).toBe(
        `curl -fsSL ${demo.publicUrl}/install.sh | ${sudo}bash -s -- --token-file ${tokenFileName}`,
      );

      // Into a throwaway root, without a service.
      const root = tempDir('root');
      const command = `${printed?.install_command.replace('sudo ', '')} --root ${root} --no-service`;
      const installed = await sh(command);
      expect(installed.code, installed.stderr).toBe(0);
      const once = await sh(
        `${root}/usr/local/bin/optralis-agent run --once --config-dir ${root}/etc/optralis-agent`,
      );
      expect(once.code, once.stderr).toBe(0);
    } finally {
      await demo.stop();
    }
  });

  it('a saved install.sh enrolls with the server --url names, not the one it was saved from', async () => {
    // The server the copy came from still answers, and is never asked anything.
    const asked: string[] = [];
    const elsewhere = http.createServer((request, response) => {
      asked.push(request.url ?? '');
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const { port } = elsewhere.address() as AddressInfo;
    try {
      const served = await (await fetch(`${server.publicUrl}/install.sh`)).text();
      const line = /^( *SERVER_URL=)'[^']*'$/m;
      expect(served).toMatch(line);
      const script = path.join(tempDir('download'), 'install.sh');
      fs.writeFileSync(script, served.replace(line, `$1'http://127.0.0.1:${port}'`));
      const { clientId, token, tokenId } = await newClient('Given URL');
      const root = tempDir('root');

      const installed = await sh(
        `bash ${q(script)} --url ${server.publicUrl} --token-file ${q(tokenFile(token))} --root ${root} --no-service`,
      );
      expect(installed.code, installed.stderr).toBe(0);
      expect(installed.stdout).toContain(`server ${server.publicUrl}`);
      expect(installed.stdout).toContain(`Enrolling this machine with ${server.publicUrl}`);
      const config = installedConfig(root);
      expect(config).toMatchObject({
        public_url: server.publicUrl,
        api_url: server.agentApiUrl,
        client_id: clientId,
      });
      expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(1);
      const once = await sh(
        `${root}/usr/local/bin/optralis-agent run --once --config-dir ${root}/etc/optralis-agent`,
      );
      expect(once.code, once.stderr).toBe(0);
      await heartbeatArrives(clientId, config.machine_id);
      expect(asked).toEqual([]);
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('installs without a service with --no-service, and refuses to go on without systemd', async () => {
    const { clientId, token, tokenId } = await newClient('No systemd');
    const root = tempDir('root');
    const url = server.publicUrl;
    const file = tokenFile(token);

    // A machine where systemd is not process 1, whatever runs this test: the run sees an empty
    // /run, without the /run/systemd/system that systemd makes at boot (sd_booted(3)).
    const refused = await sh(
      inMountNamespace(
        'mount -t tmpfs tmpfs /run',
        `curl -fsSL ${url}/install.sh | bash -s -- --token-file ${q(file)} --root ${root}`,
      ),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('systemd is not running on this machine');
    expect(refused.stderr).toContain('--no-service');
    expect(refused.stderr).toContain('nothing was changed on this machine');
    expect(fs.readdirSync(root)).toEqual([]);
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(0);

    const installed = await sh(
      `curl -fsSL ${url}/install.sh | bash -s -- --token-file ${q(file)} --root ${root} --no-service`,
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('none (--no-service)');
    expect(fs.existsSync(`${root}/etc/systemd`)).toBe(false);
    const once = await sh(
      `${root}/usr/local/bin/optralis-agent run --once --config-dir ${root}/etc/optralis-agent`,
    );
    expect(once.code, once.stderr).toBe(0);
    await heartbeatArrives(clientId, installedConfig(root).machine_id);
  });
});
