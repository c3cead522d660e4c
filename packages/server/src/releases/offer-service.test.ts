import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  catalogueStatementSchema,
  heartbeatResponseSchema,
  releaseKeyInfoSchema,
  releaseStatementSchema,
} from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import { type TestServer, tempDir } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { enroll } from '../../../agent/src/enroll';
import { listAudit } from '../audit/store';
import { createClient } from '../clients/store';
import { createInstallToken } from '../tokens/service';

const BUILD_NAME = 'optralis-agent-linux-amd64-v1.1.0';
const BUILD = Buffer.alloc(4096, 'agent 1.1.0 ');
const BUILD_SHA256 = crypto.createHash('sha256').update(BUILD).digest('hex');

describe.each(STORES)('on %s, update offers in the heartbeat answer', (store) => {
  let server: TestServer;
  let session: string;
  let agent: { machineId: string; clientId: string; cert: string; key: string; dir: string };

  beforeAll(async () => {
    server = await startServerOn(store);
    session = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    const token = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 't',
      kind: 'command',
    });
    const dir = tempDir('offer-agent');
    const result = await enroll({
      url: server.publicUrl,
      token: token.value,
      configDir: dir,
      hostname: 'offer-01',
      hardwareId: 'hw-offer-01',
    });
    agent = {
      machineId: result.machineId,
      clientId,
      dir,
      cert: fs.readFileSync(path.join(dir, 'client.crt'), 'utf8'),
      key: fs.readFileSync(path.join(dir, 'client.key'), 'utf8'),
    };
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function heartbeat(version: string, extra: Record<string, unknown> = {}) {
    const answer = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca: server.ctx.ca.certificatePem, cert: agent.cert, key: agent.key },
      { body: { version, platform: 'linux', arch: 'amd64', ...extra } },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return heartbeatResponseSchema.parse(answer.body);
  }

  function admin(method: string, url: string, payload?: unknown) {
    return server.publicApp.inject({
      method: method as 'POST',
      url,
      headers: { authorization: `Bearer ${session}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function offers(channel: string) {
    const metric = await server.ctx.metrics.updateOffers.get();
    return metric.values.find((value) => value.labels.channel === channel)?.value ?? 0;
  }

  it('offers a greater active release, signed by the release key the agent got at enrollment', async () => {
    const none = await heartbeat('1.0.0');
    expect(none.update).toBeUndefined();
    // Even without an offer, the answer carries the signed sequence of the catalogue.
    const catalogue = catalogueStatementSchema.parse(JSON.parse(none.releases?.statement ?? ''));
    expect(catalogue.type).toBe('optralis-catalogue/v1');
    expect(Date.parse(catalogue.expires_at) - Date.parse(catalogue.issued_at)).toBe(86_400_000);
    // The build is in this server's downloads: a version pointing there is checked against it.
    fs.mkdirSync(path.join(server.config.downloadsDir, 'stable'), { recursive: true });
    fs.writeFileSync(path.join(server.config.downloadsDir, 'stable', BUILD_NAME), BUILD);
    const made = await admin('POST', '/api/agent-versions', {
      version: '1.1.0',
      platform: 'linux',
      architecture: 'amd64',
      checksum_sha256: BUILD_SHA256.toUpperCase(),
      file_size_bytes: 4096,
      download_url: `${server.publicUrl}/downloads/stable/optralis-agent-linux-amd64-v1.1.0`,
    });
    expect(made.statusCode, made.body).toBe(201);
    const before = await offers('stable');

    const { update } = await heartbeat('1.0.0');
    expect(update).toMatchObject({
      version: '1.1.0',
      download_url: `${server.publicUrl}/downloads/stable/optralis-agent-linux-amd64-v1.1.0`,
      checksum_sha256: BUILD_SHA256,
      file_size_bytes: 4096,
    });
    expect(await offers('stable')).toBe(before + 1);

    const trusted = releaseKeyInfoSchema.parse(
      JSON.parse(fs.readFileSync(path.join(agent.dir, 'release-key.json'), 'utf8')),
    );
    expect(update?.key_id).toBe(trusted.key_id);
    const valid = crypto.verify(
      null,
      Buffer.from(update?.statement ?? '', 'utf8'),
      crypto.createPublicKey(trusted.public_key),
      Buffer.from(update?.signature ?? '', 'base64'),
    );
    expect(valid).toBe(true);
    const statement = releaseStatementSchema.parse(JSON.parse(update?.statement ?? ''));
    expect(statement).toMatchObject({
      version: '1.1.0',
      platform: 'linux',
      architecture: 'amd64',
      sha256: BUILD_SHA256,
      size: 4096,
      url: update?.download_url,
    });
    expect(Date.parse(statement.expires_at) - Date.parse(statement.issued_at)).toBe(86_400_000);
    expect(statement.sequence).toBeGreaterThan(0);
    expect(statement.sequence).toBeGreaterThan(catalogue.sequence);
    expect(
      fs.readFileSync(path.join(server.config.releaseKeyDir, 'release.key')).length,
    ).toBeGreaterThan(0);
    expect(fs.statSync(path.join(server.config.releaseKeyDir, 'release.key')).mode & 0o777).toBe(
      0o600,
    );
  });

  it('stops offering when the rollout is paused, the client pinned or the channel changed', async () => {
    const id = (await admin('GET', '/api/agent-versions')).json().versions[0].id as string;
    const sequenceOf = (update: { statement?: string } | undefined) =>
      JSON.parse(update?.statement ?? '{}').sequence as number;
    const first = sequenceOf((await heartbeat('1.0.0')).update);
    const paused = await admin('PATCH', `/api/agent-versions/${id}`, { rollout_paused: true });
    expect(paused.statusCode).toBe(200);
    expect((await heartbeat('1.0.0')).update).toBeUndefined();
    await admin('PATCH', `/api/agent-versions/${id}`, { rollout_paused: false });
    // Every change raises the sequence: statements signed before it are older for the agent.
    expect(sequenceOf((await heartbeat('1.0.0')).update)).toBeGreaterThan(first);

    const pin = `/api/agent-versions/pin?client_id=${agent.clientId}`;
    expect((await admin('PUT', pin, { version: '1.0.5' })).statusCode).toBe(200);
    expect((await admin('GET', pin)).json()).toEqual({
      client_id: agent.clientId,
      version: '1.0.5',
    });
    expect((await heartbeat('1.0.0')).update).toBeUndefined();
    await admin('PUT', pin, { version: null });
    expect((await heartbeat('1.0.0')).update?.version).toBe('1.1.0');

    const move = await admin('PUT', `/api/machines/${agent.machineId}/channel`, {
      channel: 'beta',
    });
    expect(move.statusCode).toBe(204);
    expect((await heartbeat('1.0.0')).update).toBeUndefined();
    await admin('PUT', `/api/machines/${agent.machineId}/channel`, { channel: 'stable' });
    expect((await heartbeat('1.0.0')).update?.version).toBe('1.1.0');
  });

  it('counts and audits what agents report: a failed update, then a new version', async () => {
    const outcome = async (name: string) =>
      (await server.ctx.metrics.updateOutcomes.get()).values.find((v) => v.labels.outcome === name)
        ?.value ?? 0;
    const failedBefore = await outcome('failed');
    await heartbeat('1.0.0', { update_error: '1.1.0: the downloaded file does not match' });
    expect(await outcome('failed')).toBe(failedBefore + 1);
    const updatedBefore = await outcome('updated');
    expect((await heartbeat('1.1.0')).update).toBeUndefined();
    expect(await outcome('updated')).toBe(updatedBefore + 1);
    const scraped = await server.ctx.metrics.registry.metrics();
    expect(scraped).toContain(
      `optralis_update_outcomes_total{outcome="failed"} ${failedBefore + 1}`,
    );
    expect(scraped).toContain(
      `optralis_update_outcomes_total{outcome="updated"} ${updatedBefore + 1}`,
    );

    const events = await listAudit(server.ctx.db, agent.clientId);
    expect(events.find((e) => e.action === 'machine.update_failed')?.details).toContain(
      'does not match',
    );
    expect(JSON.parse(events.find((e) => e.action === 'machine.updated')?.details ?? '{}')).toEqual(
      {
        from: '1.0.0',
        to: '1.1.0',
      },
    );
  });
});
