import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { heartbeatResponseSchema, RELEASE_KEY_FILE } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { createClient } from '../../../server/src/clients/store';
import { createInstallToken } from '../../../server/src/tokens/service';
import { enroll } from '../enroll';
import { createLog } from '../log';
import { currentArch, currentPlatform } from '../platform';
import { readState } from './state';
import { Updater } from './updater';

const quiet = createLog('error', () => {});

/**
 * A release published, offered, then deactivated by an admin: whoever can answer heartbeats
 * (a proxy on the path) still holds the old signed offer. Real server, real agent updater.
 */
describe('an offer of a release deactivated since is a replay', () => {
  let server: TestServer;
  let session: string;
  let agent: { cert: string; key: string; dir: string };

  beforeAll(async () => {
    server = await startTestServer();
    session = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const clientId = (await createClient(server.ctx.db, 'Replay', new Date())).id;
    const token = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 't',
      kind: 'command',
    });
    const dir = tempDir('replay-agent');
    await enroll({
      url: server.publicUrl,
      token: token.value,
      configDir: dir,
      hostname: 'replay-01',
      hardwareId: 'hw-replay-01',
    });
    agent = {
      dir,
      cert: fs.readFileSync(path.join(dir, 'client.crt'), 'utf8'),
      key: fs.readFileSync(path.join(dir, 'client.key'), 'utf8'),
    };
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function heartbeat() {
    const answer = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca: server.ctx.ca.certificatePem, cert: agent.cert, key: agent.key },
      { body: { version: '1.0.0', platform: currentPlatform(), arch: currentArch() } },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return heartbeatResponseSchema.parse(answer.body);
  }

  function admin(method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) {
    return server.publicApp.inject({
      method,
      url,
      headers: { authorization: `Bearer ${session}` },
      payload,
    });
  }

  /** An agent at 1.0.0 holding the server's release key, with a config directory of its own. */
  function installedAgent(name: string) {
    const dir = tempDir(name);
    fs.copyFileSync(path.join(agent.dir, RELEASE_KEY_FILE), path.join(dir, RELEASE_KEY_FILE));
    const binary = path.join(dir, 'optralis-agent');
    fs.writeFileSync(binary, 'old binary', { mode: 0o755 });
    const updater = new Updater({
      configDir: dir,
      log: quiet,
      apply: true,
      binary,
      version: '1.0.0',
    });
    return { dir, binary, updater };
  }

  it('is refused by an agent that saw the offer, and by one that never accepted it', async () => {
    // The build is there when the version is made, and removed since: the agent that sees the
    // offer fails its download and keeps its binary.
    const build = path.join(server.config.downloadsDir, 'stable', 'removed-v1.1.0');
    fs.mkdirSync(path.dirname(build), { recursive: true });
    fs.writeFileSync(build, Buffer.alloc(4096, 'removed '));
    const made = await admin('POST', '/api/agent-versions', {
      version: '1.1.0',
      platform: currentPlatform(),
      architecture: currentArch(),
      checksum_sha256: crypto.createHash('sha256').update(fs.readFileSync(build)).digest('hex'),
      file_size_bytes: 4096,
      download_url: `${server.publicUrl}/downloads/stable/removed-v1.1.0`,
    });
    expect(made.statusCode, made.body).toBe(201);
    fs.rmSync(build);
    const offered = await heartbeat();
    expect(offered.update?.version).toBe('1.1.0');
    const offeredAt = JSON.parse(offered.releases?.statement ?? '{}').sequence as number;
    expect(JSON.parse(offered.update?.statement ?? '{}').sequence).toBe(offeredAt);

    const seen = installedAgent('replay-seen');
    await seen.updater.afterHeartbeat(offered);
    expect(readState(seen.dir).report).toBe('1.1.0: the download answered HTTP 404');
    expect(readState(seen.dir).last_sequence).toBe(offeredAt);

    const deactivated = await admin('PATCH', `/api/agent-versions/${made.json().id}`, {
      is_active: false,
    });
    expect(deactivated.statusCode, deactivated.body).toBe(200);
    const after = await heartbeat();
    expect(after.update).toBeUndefined();
    const current = JSON.parse(after.releases?.statement ?? '{}').sequence as number;
    expect(current).toBeGreaterThan(offeredAt);

    // The agent that saw the offer learns the new sequence from an answer without an offer.
    await seen.updater.afterHeartbeat(after);
    expect(readState(seen.dir).last_sequence).toBe(current);
    await seen.updater.afterHeartbeat(offered);
    expect(readState(seen.dir).report).toBe(
      'the signed statement of 1.1.0 is older than one already seen',
    );

    // One that never accepted (nor saw) the offer refuses it just the same, without downloading.
    const fresh = installedAgent('replay-fresh');
    await fresh.updater.afterHeartbeat(after);
    expect(readState(fresh.dir).last_sequence).toBe(current);
    await fresh.updater.afterHeartbeat(offered);
    expect(readState(fresh.dir)).toMatchObject({
      last_sequence: current,
      report: 'the signed statement of 1.1.0 is older than one already seen',
      failed: [],
    });
    expect(fs.readFileSync(fresh.binary, 'utf8')).toBe('old binary');
  });

  it('ignores a catalogue statement that is forged, and keeps the highest sequence seen', async () => {
    const answer = await heartbeat();
    const signed = answer.releases;
    if (!signed) throw new Error('the heartbeat answer carries no catalogue statement');
    const sequence = JSON.parse(signed.statement).sequence as number;
    const target = installedAgent('replay-forged');
    await target.updater.afterHeartbeat(answer);
    expect(readState(target.dir).last_sequence).toBe(sequence);

    const forged = signed.statement.replace(String(sequence), String(sequence * 2));
    await target.updater.afterHeartbeat({ ...answer, releases: { ...signed, statement: forged } });
    expect(readState(target.dir).last_sequence).toBe(sequence);

    // An older genuine statement never lowers it.
    fs.writeFileSync(
      path.join(target.dir, 'update-state.json'),
      JSON.stringify({ last_sequence: sequence + 5 }),
    );
    await target.updater.afterHeartbeat(answer);
    expect(readState(target.dir).last_sequence).toBe(sequence + 5);
  });
});
