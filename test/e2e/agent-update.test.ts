import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ReleaseStatement } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../packages/server/src/audit/store';
import { createClient } from '../../packages/server/src/clients/store';
import { findMachine } from '../../packages/server/src/machines/store';
import { signStatement } from '../../packages/server/src/releases/signing';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import { type DownloadsServer, serveDownloads } from '../support/downloads';
import { type FakeAgentApi, fakeAgentApi } from '../support/fake-agent-api';
import { startTestServer, type TestServer, tempDir } from '../support/server';
import { login } from '../support/sessions';
import { type Supervised, supervise } from '../support/supervisor';

const sha256 = (file: string) =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined) {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a linux-amd64 agent updates itself from 1.0.0 to 1.1.0, and refuses forgeries', () => {
  let old: AgentBuild<'linux-amd64'>;
  let next: AgentBuild<'linux-amd64'>;
  let downloadsDir: string;
  let downloads: DownloadsServer;
  let server: TestServer;
  let publicUrl: string;
  const running: Supervised[] = [];
  const fakes: FakeAgentApi[] = [];

  beforeAll(async () => {
    old = await ensureAgentBuild({ version: '1.0.0', channel: 'stable', targets: ['linux-amd64'] });
    next = await ensureAgentBuild({
      version: '1.1.0',
      channel: 'stable',
      targets: ['linux-amd64'],
    });
    downloadsDir = tempDir('update-downloads');
    fs.mkdirSync(path.join(downloadsDir, 'stable'));
    // The attacks below are served from a download path the attacker controls.
    downloads = await serveDownloads(downloadsDir);
    // Imported rows point at the server's own /downloads/…, which serves the real update.
    server = await startTestServer({ env: { OPTRALIS_DOWNLOADS_DIR: downloadsDir } });
    publicUrl = `http://127.0.0.1:${(server.publicApp.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all(running.map((agent) => agent.stop()));
    await Promise.all(fakes.map((fake) => fake.close()));
    await server?.stop();
    await downloads?.close();
  });

  /** A machine with the 1.0.0 binary installed in a directory of its own, enrolled. */
  async function installOldAgent(name: string) {
    const clientId = (await createClient(server.ctx.db, name, new Date())).id;
    const token = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 't',
      kind: 'command',
    });
    const root = tempDir(`machine-${name}`);
    const binary = path.join(root, 'bin', 'optralis-agent');
    const configDir = path.join(root, 'etc');
    fs.mkdirSync(path.dirname(binary));
    fs.copyFileSync(old.files['linux-amd64'], binary);
    fs.chmodSync(binary, 0o755);
    const enrolled = supervise(
      binary,
      ['enroll', '--url', publicUrl, '--config-dir', configDir, '--hostname', name, '--json'],
      { OPTRALIS_TOKEN: token.value },
    );
    await until('enrollment', () => enrolled.exits.length > 0);
    expect(enrolled.exits, enrolled.output()).toEqual([0]);
    const machineId = JSON.parse(enrolled.output()).machine_id as string;
    const configFile = path.join(configDir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    fs.writeFileSync(configFile, JSON.stringify({ ...config, interval: 1 }));
    return { machineId, clientId, binary, configDir, configFile, config };
  }

  function run(agent: { binary: string; configDir: string }, env: Record<string, string> = {}) {
    const supervised = supervise(agent.binary, ['run', '--config-dir', agent.configDir], env);
    running.push(supervised);
    return supervised;
  }

  it('is offered 1.1.0 once imported, installs it through a restart and reports 1.1.0', async () => {
    const agent = await installOldAgent('update-01');
    const service = run(agent);
    await until(
      'a heartbeat at 1.0.0',
      async () =>
        (await findMachine(server.ctx.db, agent.machineId, null))?.agent_version === '1.0.0',
    );

    for (const name of fs.readdirSync(next.channelDir)) {
      fs.copyFileSync(path.join(next.channelDir, name), path.join(downloadsDir, 'stable', name));
    }
    const session = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const imported = await server.publicApp.inject({
      method: 'POST',
      url: '/api/agent-versions/import',
      headers: { authorization: `Bearer ${session}` },
      payload: {},
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json().imported).toMatchObject([
      {
        version: '1.1.0',
        platform: 'linux',
        architecture: 'amd64',
        download_url: `${publicUrl}/downloads/stable/optralis-agent-linux-amd64-v1.1.0`,
      },
    ]);

    await until(
      'the machine to report 1.1.0',
      async () =>
        (await findMachine(server.ctx.db, agent.machineId, null))?.agent_version === '1.1.0',
    );
    expect(service.exits, service.output()).toEqual([75]);
    expect(sha256(agent.binary)).toBe(sha256(next.files['linux-amd64']));
    expect(sha256(`${agent.binary}.previous`)).toBe(sha256(old.files['linux-amd64']));
    await until(
      'the update to be confirmed',
      () => !fs.existsSync(path.join(agent.configDir, 'update-pending.json')),
    );
    // The line is written just after the pending file goes: wait for it rather than race it.
    await until('the confirmation in the log', () =>
      service.output().includes('agent updated from=1.0.0 to=1.1.0'),
    );
    const events = await listAudit(server.ctx.db, agent.clientId);
    expect(events.map((event) => event.action)).toContain('machine.updated');
    // The watchdog ran from the previous binary's copy and saw the confirmation.
    await until('the watchdog to see the confirmation', () =>
      fs
        .readFileSync(path.join(agent.configDir, 'update-watchdog.log'), 'utf8')
        .includes('update watchdog done'),
    );
  });

  /** Offers signed with the server's own release key, as a compromised path would replay them. */
  function offer(overrides: Partial<ReleaseStatement>, sign = true) {
    const now = Date.now();
    const statement: ReleaseStatement = {
      type: 'optralis-release/v1',
      version: '1.1.0',
      channel: 'stable',
      platform: 'linux',
      architecture: 'amd64',
      sha256: sha256(next.files['linux-amd64']),
      size: fs.statSync(next.files['linux-amd64']).size,
      url: `${downloads.url}/downloads/stable/optralis-agent-linux-amd64-v1.1.0`,
      issued_at: new Date(now).toISOString(),
      expires_at: new Date(now + 3_600_000).toISOString(),
      sequence: Date.now(),
      ...overrides,
    };
    const signed = signStatement(server.ctx.releaseKey, statement);
    return {
      status: 'ok',
      update: {
        version: statement.version,
        download_url: statement.url,
        checksum_sha256: statement.sha256,
        ...signed,
        ...(sign ? {} : { statement: signed.statement.replace('"1.1.0"', '"1.1.1"') }),
      },
    };
  }

  /** The signed catalogue statement a genuine answer carries, as captured on the path. */
  function catalogue(sequence: number) {
    const now = Date.now();
    return signStatement(server.ctx.releaseKey, {
      type: 'optralis-catalogue/v1',
      sequence,
      issued_at: new Date(now).toISOString(),
      expires_at: new Date(now + 3_600_000).toISOString(),
    });
  }

  /** An enrolled 1.0.0 agent whose agent API is the attacker's. */
  async function attackedAgent(name: string, env: Record<string, string> = {}) {
    const agent = await installOldAgent(name);
    const fake = await fakeAgentApi(server.ctx.ca);
    fakes.push(fake);
    fs.writeFileSync(
      agent.configFile,
      JSON.stringify({ ...agent.config, interval: 1, api_url: fake.url }),
    );
    return { agent, fake, service: run(agent, env) };
  }

  async function reported(fake: FakeAgentApi, text: string) {
    return until(`update_error "${text}"`, () =>
      fake.heartbeats.find((body) => String(body.update_error ?? '').includes(text)),
    );
  }

  it('refuses a tampered file, a wrong size, a bad signature, an expired or a replayed offer', async () => {
    const file = fs.readFileSync(next.files['linux-amd64']);
    const tampered = Buffer.from(file);
    tampered.write('evil', 1_000_000);
    downloads.replace.set('stable/tampered-1.1.0', tampered);

    const cases: [string, Record<string, unknown>, string][] = [
      [
        'tampered',
        offer({ url: `${downloads.url}/downloads/stable/tampered-1.1.0` }),
        'does not match its SHA-256',
      ],
      ['short', offer({ size: file.length - 1 }), `larger than ${file.length - 1} bytes`],
      ['forged', offer({}, false), 'signature of the 1.1.0 offer is wrong'],
      [
        'expired',
        offer({ issued_at: '2025-01-01T00:00:00.000Z', expires_at: '2025-01-02T00:00:00.000Z' }),
        'has expired',
      ],
    ];
    const attacked = await Promise.all(
      cases.map(async ([name, answer]) => {
        const target = await attackedAgent(`attack-${name}`);
        target.fake.answer = answer;
        return target;
      }),
    );

    // Replay: a genuine, still valid offer signed before the catalogue the agent has seen in an
    // answer without an offer (the release was deactivated since); it never accepted an offer.
    const replayed = await attackedAgent('attack-replay');
    const captured = offer({ sequence: 1000 });
    replayed.fake.answer = { status: 'ok', releases: catalogue(2000) };
    const stateFile = path.join(replayed.agent.configDir, 'update-state.json');
    await until('the agent to remember sequence 2000', () =>
      fs.existsSync(stateFile)
        ? JSON.parse(fs.readFileSync(stateFile, 'utf8')).last_sequence === 2000
        : undefined,
    );
    replayed.fake.answer = captured;

    for (const [i, [, , text]] of cases.entries())
      await reported((attacked[i] as typeof replayed).fake, text);
    await reported(replayed.fake, 'older than one already seen');

    for (const { agent, fake, service } of [...attacked, replayed]) {
      const seen = fake.heartbeats.length;
      await until('more heartbeats from the old agent', () => fake.heartbeats.length > seen + 1);
      expect(service.exits, service.output()).toEqual([]);
      expect(fake.heartbeats.at(-1)?.version).toBe('1.0.0');
      expect(sha256(agent.binary)).toBe(sha256(old.files['linux-amd64']));
      expect(fs.existsSync(`${agent.binary}.previous`)).toBe(false);
    }
  });

  it('restores 1.0.0 when the new binary cannot start, and reports why', async () => {
    const broken = Buffer.from('#!/bin/sh\necho "cannot start" >&2\nexit 3\n');
    downloads.replace.set('stable/broken-1.2.0', broken);
    const { agent, fake, service } = await attackedAgent('broken-update', {
      OPTRALIS_UPDATE_CONFIRM_SECONDS: '4',
    });
    fake.answer = offer({
      version: '1.2.0',
      url: `${downloads.url}/downloads/stable/broken-1.2.0`,
      sha256: crypto.createHash('sha256').update(broken).digest('hex'),
      size: broken.length,
    });
    const report = await reported(fake, '1.2.0 did not come up');
    expect(report.update_error).toBe(
      '1.2.0 did not come up and send a heartbeat in time; 1.0.0 was restored',
    );
    expect(report.version).toBe('1.0.0');
    expect(service.exits[0]).toBe(75);
    expect(
      service.exits.slice(1).every((code) => code === 3),
      String(service.exits),
    ).toBe(true);
    expect(sha256(agent.binary)).toBe(sha256(old.files['linux-amd64']));

    // The broken release is not tried again.
    const exits = service.exits.length;
    const seen = fake.heartbeats.length;
    await until('more heartbeats', () => fake.heartbeats.length > seen + 3);
    expect(service.exits.length).toBe(exits);
  });
});
