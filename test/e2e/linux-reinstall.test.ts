import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { heartbeatResponseSchema } from '@optralis/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../packages/server/src/clients/store';
import { findMachine, listMachines } from '../../packages/server/src/machines/store';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { findToken } from '../../packages/server/src/tokens/store';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import { agentRequest } from '../support/https';
import { type FakeSystemd, fakeSystemd, q, sh, tokenFile, until } from '../support/linux-install';
import { startTestServer, type TestServer, tempDir } from '../support/server';
import { login } from '../support/sessions';

const sha256 = (file: string) =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Running the Linux installer again on a machine it already installed. */
describe('installing the agent again on a Linux machine', () => {
  let stable: AgentBuild<'linux-amd64'>;
  let beta: AgentBuild<'linux-amd64'>;
  let server: TestServer;
  let stableMetadata: string;
  const running: FakeSystemd[] = [];

  beforeAll(async () => {
    stable = await ensureAgentBuild({
      version: '1.0.0',
      channel: 'stable',
      targets: ['linux-amd64'],
    });
    beta = await ensureAgentBuild({ version: '1.1.0', channel: 'beta', targets: ['linux-amd64'] });
    // Both channels in one downloads directory of the test's own: the upgrade test publishes
    // 1.1.0 on stable too.
    const downloads = tempDir('downloads');
    for (const [channel, build] of [
      ['stable', stable],
      ['beta', beta],
    ] as const) {
      fs.mkdirSync(path.join(downloads, channel));
      const binary = build.files['linux-amd64'];
      fs.linkSync(binary, path.join(downloads, channel, path.basename(binary)));
      fs.copyFileSync(
        build.metadata.linux as string,
        path.join(downloads, channel, 'metadata-linux.json'),
      );
    }
    stableMetadata = path.join(downloads, 'stable', 'metadata-linux.json');
    server = await startTestServer({ env: { OPTRALIS_DOWNLOADS_DIR: downloads } });
  });

  afterEach(() => {
    for (const systemd of running.splice(0)) systemd.stop();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function newClient() {
    const client = await createClient(server.ctx.db, `Client ${crypto.randomUUID()}`, new Date());
    const made = await createInstallToken(server.ctx, {
      clientId: client.id,
      createdBy: 'test',
      kind: 'command',
      maxUsage: 5,
    });
    const file = tokenFile(made.value);
    const uses = async () => (await findToken(server.ctx.db, made.row.id, client.id))?.usage_count;
    return { clientId: client.id, file, uses };
  }

  function install(root: string, args: string, env: Record<string, string> = {}) {
    return sh(`curl -fsSL ${server.publicUrl}/install.sh | bash -s -- --root ${root} ${args}`, env);
  }

  function config(root: string) {
    return JSON.parse(fs.readFileSync(`${root}/etc/optralis-agent/config.json`, 'utf8'));
  }

  async function heartbeatArrives(clientId: string, machineId: string, version: string) {
    await until(async () => {
      const machine = await findMachine(server.ctx.db, machineId, clientId);
      return machine?.last_seen_at !== null && machine?.agent_version === version;
    });
  }

  it('upgrades to a newer build in place: same machine, still one machine', async () => {
    const { clientId, file, uses } = await newClient();
    const root = tempDir('root');
    const systemd = fakeSystemd(root);
    running.push(systemd);
    const first = await install(root, `--token-file ${q(file)}`, systemd.env);
    expect(first.code, first.stderr).toBe(0);
    const machineId = config(root).machine_id;
    await heartbeatArrives(clientId, machineId, '1.0.0');

    // 1.1.0 is published on stable: the installer run again (no token) installs it.
    const newer = beta.files['linux-amd64'];
    fs.linkSync(newer, path.join(path.dirname(stableMetadata), path.basename(newer)));
    const published = JSON.parse(fs.readFileSync(beta.metadata.linux as string, 'utf8'));
    fs.writeFileSync(stableMetadata, JSON.stringify({ ...published, channel: 'stable' }));

    const upgrade = await install(root, '', systemd.env);
    expect(upgrade.code, upgrade.stderr).toBe(0);
    expect(upgrade.stdout).toContain(`keeps its identity: machine ${machineId}`);
    expect(upgrade.stdout).toContain('installed: optralis-agent 1.1.0 linux/amd64, channel stable');
    expect(sha256(`${root}/usr/local/bin/optralis-agent`)).toBe(sha256(newer));
    expect(config(root).machine_id).toBe(machineId);
    await heartbeatArrives(clientId, machineId, '1.1.0');
    expect(await listMachines(server.ctx.db, clientId)).toHaveLength(1);
    expect(await uses()).toBe(1);
  });

  it('--channel beta enrolls a new machine on beta, and moves one that is enrolled', async () => {
    const fresh = await newClient();
    const first = tempDir('root');
    const enrolled = await install(
      first,
      `--token-file ${q(fresh.file)} --channel beta --no-service`,
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(enrolled.stdout).toContain('Checksum verified: optralis-agent 1.1.0 linux/amd64');
    expect(config(first).channel).toBe('beta');
    const made = await findMachine(server.ctx.db, config(first).machine_id, fresh.clientId);
    expect(made?.channel).toBe('beta');

    const { clientId, file, uses } = await newClient();
    const root = tempDir('root');
    const onStable = await install(root, `--token-file ${q(file)} --no-service`);
    expect(onStable.code, onStable.stderr).toBe(0);
    const machineId = config(root).machine_id;
    expect(config(root).channel).toBe('stable');

    const moved = await install(root, `--token-file ${q(file)} --channel beta --no-service`);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('The install token was not used');
    expect(moved.stdout).toContain('--reenroll');
    expect(moved.stdout).toContain(`Moved machine ${machineId} from the stable channel to beta`);
    expect(moved.stdout).toContain('channel beta');
    expect(config(root)).toMatchObject({ machine_id: machineId, channel: 'beta' });
    expect((await findMachine(server.ctx.db, machineId, clientId))?.channel).toBe('beta');
    expect(sha256(`${root}/usr/local/bin/optralis-agent`)).toBe(sha256(beta.files['linux-amd64']));
    expect(await listMachines(server.ctx.db, clientId)).toHaveLength(1);
    expect(await uses()).toBe(1);

    // Without --channel, the machine stays where it now is.
    const stays = await install(root, '--no-service');
    expect(stays.code, stays.stderr).toBe(0);
    expect(stays.stdout).not.toContain('Moved machine');
    expect(stays.stdout).toContain('channel beta');
  });

  it('a damaged config.json and --reenroll spend the token on the same, single machine', async () => {
    const { clientId, file, uses } = await newClient();
    const root = tempDir('root');
    const first = await install(root, `--token-file ${q(file)} --no-service`);
    expect(first.code, first.stderr).toBe(0);
    const machineId = config(root).machine_id;

    // The server knows the machine by its hardware id and host name: a reinstall, not a clone.
    fs.writeFileSync(`${root}/etc/optralis-agent/config.json`, '{"api_url": ');
    const repaired = await install(root, `--token-file ${q(file)} --no-service`);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('cannot be used');
    expect(repaired.stdout).toContain(`Enrolled as machine ${machineId}`);
    expect(config(root).machine_id).toBe(machineId);

    const forced = await install(root, `--token-file ${q(file)} --reenroll --no-service`);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).not.toContain('keeps its identity');
    expect(forced.stdout).toContain(`Enrolled as machine ${machineId}`);

    expect(await listMachines(server.ctx.db, clientId)).toHaveLength(1);
    expect(await uses()).toBe(3);
    const once = await sh(
      `${root}/usr/local/bin/optralis-agent run --once --config-dir ${root}/etc/optralis-agent`,
    );
    expect(once.code, once.stderr).toBe(0);
  });

  it('a forced downgrade is a reinstall: the older build, same machine, no offer of the newer', async () => {
    const session = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const admin = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
      server.publicApp.inject({
        method,
        url,
        headers: { authorization: `Bearer ${session}` },
        payload,
      });
    const stableDir = path.dirname(stableMetadata);
    const publish = (build: AgentBuild<'linux-amd64'>) => {
      const binary = build.files['linux-amd64'];
      const published = path.join(stableDir, path.basename(binary));
      if (!fs.existsSync(published)) fs.linkSync(binary, published);
      const metadata = JSON.parse(fs.readFileSync(build.metadata.linux as string, 'utf8'));
      fs.writeFileSync(stableMetadata, JSON.stringify({ ...metadata, channel: 'stable' }));
    };
    // Both builds are releases of stable; the machine is installed at the newer one.
    const rows: Record<string, string> = {};
    for (const [version, build] of [
      ['1.0.0', stable],
      ['1.1.0', beta],
    ] as const) {
      publish(build);
      const imported = await admin('POST', '/api/agent-versions/import', { channel: 'stable' });
      expect(imported.statusCode, imported.body).toBe(200);
      const row = imported.json().imported.find((v: { version: string }) => v.version === version);
      expect(row).toMatchObject({ channel: 'stable', architecture: 'amd64', is_active: true });
      rows[version] = row.id;
    }

    const { clientId, file, uses } = await newClient();
    const root = tempDir('root');
    const systemd = fakeSystemd(root);
    running.push(systemd);
    const first = await install(root, `--token-file ${q(file)}`, systemd.env);
    expect(first.code, first.stderr).toBe(0);
    const machineId = config(root).machine_id;
    await heartbeatArrives(clientId, machineId, '1.1.0');

    const configDir = `${root}/etc/optralis-agent`;
    const tls = {
      ca: server.ctx.ca.certificatePem,
      cert: fs.readFileSync(`${configDir}/client.crt`, 'utf8'),
      key: fs.readFileSync(`${configDir}/client.key`, 'utf8'),
    };
    const offeredTo = async (version: string) => {
      const answer = await agentRequest(`${server.agentApiUrl}/heartbeat`, tls, {
        body: { version, platform: 'linux', arch: 'amd64' },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return heartbeatResponseSchema.parse(answer.body).update?.version;
    };
    // While 1.1.0 is active, this machine at 1.0.0 would be sent to it.
    expect(await offeredTo('1.0.0')).toBe('1.1.0');
    // That heartbeat was not the agent's: wait for the agent's own to say 1.1.0 again.
    await heartbeatArrives(clientId, machineId, '1.1.0');

    // 1.1.0 is withdrawn and 1.0.0 published again; updates never go down: the admin reinstalls.
    const withdrawn = await admin('PATCH', `/api/agent-versions/${rows['1.1.0']}`, {
      is_active: false,
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    publish(stable);
    const older = stable.files['linux-amd64'];
    const downgrade = await install(root, '', systemd.env);
    expect(downgrade.code, downgrade.stderr).toBe(0);
    expect(downgrade.stdout).toContain(`keeps its identity: machine ${machineId}`);
    expect(downgrade.stdout).toContain(
      'installed: optralis-agent 1.0.0 linux/amd64, channel stable',
    );
    expect(sha256(`${root}/usr/local/bin/optralis-agent`)).toBe(sha256(older));
    expect(config(root).machine_id).toBe(machineId);
    await heartbeatArrives(clientId, machineId, '1.0.0');

    expect(await offeredTo('1.0.0')).toBeUndefined();
    // The agent's own next heartbeat after that one: still 1.0.0, nothing downloaded.
    const since = Date.now();
    await until(async () => {
      const machine = await findMachine(server.ctx.db, machineId, clientId);
      return Date.parse(machine?.last_seen_at ?? '') > since;
    });
    const machine = await findMachine(server.ctx.db, machineId, clientId);
    expect(machine?.agent_version).toBe('1.0.0');
    expect(sha256(`${root}/usr/local/bin/optralis-agent`)).toBe(sha256(older));
    expect(fs.existsSync(`${configDir}/update-pending.json`)).toBe(false);
    expect(await listMachines(server.ctx.db, clientId)).toHaveLength(1);
    expect(await uses()).toBe(1);
  });
});
