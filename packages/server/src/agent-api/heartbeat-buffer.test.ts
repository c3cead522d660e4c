import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { enrollTestMachine, newClient } from '../../../../test/support/machines';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { openDatabase } from '../db/database';
import { newId } from '../ids';
import { insertMachine } from '../machines/store';
import { HeartbeatBuffer, type HeartbeatState } from './heartbeat-buffer';

const silent = pino({ level: 'silent' });

function state(at: string, extra: Partial<HeartbeatState> = {}): HeartbeatState {
  return {
    last_seen_at: at,
    agent_version: '1.0.0',
    platform: 'linux',
    arch: 'amd64',
    uptime_seconds: 100,
    cpu_percent: 12.5,
    memory_total_bytes: 8e9,
    memory_used_bytes: 2e9,
    disk_total_bytes: 5e11,
    disk_used_bytes: 1e11,
    temperature_c: 48.5,
    ...extra,
  };
}

describe.each(STORES)('heartbeats written behind on %s', (store) => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startServerOn(store);
    clientId = await newClient(server);
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function machine(): Promise<string> {
    const id = newId();
    await insertMachine(server.ctx.db, {
      id,
      client_id: clientId,
      hostname: `m-${id}`,
      hardware_id: null,
      platform: null,
      arch: null,
      agent_version: null,
      channel: 'stable',
      token_id: null,
      enrolled_at: new Date().toISOString(),
      last_seen_at: null,
      revoked_at: null,
    });
    return id;
  }

  function row(id: string) {
    return server.ctx.db
      .selectFrom('machines')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  function buffer() {
    return new HeartbeatBuffer(server.ctx.db, server.ctx.dialect, {
      flushMs: 3_600_000,
      log: silent,
    });
  }

  it('writes a first heartbeat at once and repeats at the next flush', async () => {
    const id = await machine();
    const writer = buffer();
    await writer.record(id, state('2026-01-01T00:00:00.000Z'));
    expect((await row(id)).last_seen_at).toBe('2026-01-01T00:00:00.000Z');

    await writer.record(id, state('2026-01-01T00:00:10.000Z', { cpu_percent: 99 }));
    await writer.record(id, state('2026-01-01T00:00:20.000Z', { cpu_percent: 42.5 }));
    expect(writer.size).toBe(1);
    expect((await row(id)).last_seen_at).toBe('2026-01-01T00:00:00.000Z');

    await writer.flush();
    const written = await row(id);
    expect(written.last_seen_at).toBe('2026-01-01T00:00:20.000Z');
    expect(written.cpu_percent).toBe(42.5);
    expect(Number(written.memory_total_bytes)).toBe(8e9);
    expect(Number(written.disk_used_bytes)).toBe(1e11);
    expect(written.temperature_c).toBe(48.5);
    expect(writer.size).toBe(0);
  });

  it('writes a new version, platform or architecture at once', async () => {
    const id = await machine();
    const writer = buffer();
    await writer.record(id, state('2026-01-01T00:00:00.000Z'));
    await writer.record(id, state('2026-01-01T00:00:10.000Z', { agent_version: '1.1.0' }));
    expect(await row(id)).toMatchObject({
      agent_version: '1.1.0',
      last_seen_at: '2026-01-01T00:00:10.000Z',
    });
    expect(writer.size).toBe(0);
  });

  it('never moves last_seen back, whichever replica writes last', async () => {
    const id = await machine();
    const first = buffer();
    const second = buffer();
    await first.record(id, state('2026-01-01T00:00:00.000Z'));
    await second.record(id, state('2026-01-01T00:00:05.000Z'));
    await first.record(id, state('2026-01-01T00:00:30.000Z', { cpu_percent: 30 }));
    await second.record(id, state('2026-01-01T00:00:25.000Z', { cpu_percent: 25 }));
    await first.flush();
    await second.flush();
    expect(await row(id)).toMatchObject({
      last_seen_at: '2026-01-01T00:00:30.000Z',
      cpu_percent: 30,
    });
  });

  it('writes a thousand machines in one flush and what is pending at close', async () => {
    const ids = await Promise.all(Array.from({ length: 1200 }, () => machine()));
    const writer = buffer();
    for (const id of ids) await writer.record(id, state('2026-01-02T00:00:00.000Z'));
    for (const [n, id] of ids.entries()) {
      await writer.record(id, state('2026-01-02T00:00:10.000Z', { uptime_seconds: n }));
    }
    expect(writer.size).toBe(ids.length);
    await writer.close();
    const rows = await server.ctx.db
      .selectFrom('machines')
      .select(['id', 'last_seen_at', 'uptime_seconds'])
      .where('id', 'in', ids)
      .execute();
    expect(rows).toHaveLength(ids.length);
    const uptime = new Map(rows.map((r) => [r.id, Number(r.uptime_seconds)]));
    expect(rows.every((r) => r.last_seen_at === '2026-01-02T00:00:10.000Z')).toBe(true);
    expect(ids.every((id, n) => uptime.get(id) === n)).toBe(true);
  });
});

describe('heartbeats over the agent API', () => {
  it('are all in the store after the server stops, readings included', async () => {
    const server = await startTestServer({ env: { OPTRALIS_HEARTBEAT_FLUSH_MS: '60000' } });
    let stopped = false;
    try {
      const machine = await enrollTestMachine(server, await newClient(server), 'beat-01');
      const url = `${server.agentApiUrl}/heartbeat`;
      const base = { version: '1.0.0', platform: 'linux', arch: 'amd64' };
      await agentRequest(url, machine, { body: base, gzip: true });
      const last = {
        ...base,
        uptime_seconds: 3600,
        cpu_percent: 7.5,
        memory: { total_bytes: 16e9, used_bytes: 4e9 },
        disk: { total_bytes: 1e12, used_bytes: 2e11 },
        temperature_c: -1,
      };
      const answer = await agentRequest(url, machine, { body: last, gzip: true });
      expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });

      await server.stop();
      stopped = true;
      const { db } = await openDatabase({ dataDir: server.config.dataDir });
      const row = await db
        .selectFrom('machines')
        .selectAll()
        .where('id', '=', machine.machineId)
        .executeTakeFirstOrThrow();
      await db.destroy();
      expect(row).toMatchObject({ cpu_percent: 7.5, temperature_c: null, agent_version: '1.0.0' });
      expect(Number(row.uptime_seconds)).toBe(3600);
      expect(Number(row.memory_used_bytes)).toBe(4e9);
    } finally {
      if (!stopped) await server.stop();
    }
  });
});

describe('a heartbeat that reports another platform or architecture', () => {
  let server: TestServer;
  beforeAll(async () => {
    // No flush runs during the test: what the row shows was written when the heartbeat came.
    server = await startTestServer({ env: { OPTRALIS_HEARTBEAT_FLUSH_MS: '60000' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  function row(id: string) {
    return server.ctx.db
      .selectFrom('machines')
      .select(['platform', 'arch', 'agent_version'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  it('replaces what the machine enrolled with, at once', async () => {
    const machine = await enrollTestMachine(server, await newClient(server), 'moved-01');
    const enrolled = await row(machine.machineId);
    expect(enrolled.platform).toBe('linux');
    expect(['amd64', 'arm64']).toContain(enrolled.arch);
    const other = enrolled.arch === 'amd64' ? 'arm64' : 'amd64';

    const url = `${server.agentApiUrl}/heartbeat`;
    const beat = { version: '1.0.0', platform: 'linux', arch: other };
    expect(await agentRequest(url, machine, { body: beat, gzip: true })).toMatchObject({
      status: 200,
    });
    expect(await row(machine.machineId)).toEqual({
      platform: 'linux',
      arch: other,
      agent_version: '1.0.0',
    });

    const windows = { ...beat, platform: 'windows', arch: enrolled.arch };
    expect(await agentRequest(url, machine, { body: windows, gzip: true })).toMatchObject({
      status: 200,
    });
    expect(await row(machine.machineId)).toEqual({
      platform: 'windows',
      arch: enrolled.arch,
      agent_version: '1.0.0',
    });
  });
});
