import type { InventoryRequest, MetricSample } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { enrollTestMachine, newClient, type TestMachine } from '../../../../test/support/machines';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import { optralis } from '../../../../test/support/processes';
import type { TestServer } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { createUserIfAbsent } from '../auth/store';

function inventory(collectedAt: string, osVersion: string): InventoryRequest {
  return {
    collected_at: collectedAt,
    hostname: 'inv-01',
    hardware_id: 'hw-inv-01',
    os: {
      platform: 'linux',
      name: 'Debian GNU/Linux',
      version: osVersion,
      kernel: '6.1.0-18-amd64',
      arch: 'x64',
    },
    system: { manufacturer: 'QEMU', model: 'Standard PC', virtual: true },
    cpu: { manufacturer: 'AMD', model: 'EPYC 7763', cores: 2, physical_cores: 1, speed_ghz: 2.45 },
    memory: { total_bytes: 24e9, swap_total_bytes: 0 },
    disks: [{ device: '/dev/vda', type: 'HD', size_bytes: 1e11 }],
    filesystems: [{ mount: '/', type: 'ext4', size_bytes: 9e10, used_bytes: 3e10 }],
    network_interfaces: [
      { name: 'eth0', mac: '52:54:00:12:34:56', ipv4: ['10.0.2.15'], ipv6: [], speed_mbps: 1000 },
    ],
  };
}

function sample(at: Date, cpu: number): MetricSample {
  return {
    at: at.toISOString(),
    period_seconds: 10,
    cpu_percent: cpu,
    memory: { total_bytes: 24e9, used_bytes: 6e9 },
    disks: [{ mount: '/', total_bytes: 9e10, used_bytes: 3e10 }],
    network: [{ name: 'eth0', rx_bytes_per_second: 1200, tx_bytes_per_second: 300.5 }],
    temperature_c: cpu > 50 ? 61.5 : -1,
    temperatures: [{ sensor: 'coretemp Package id 0', celsius: 61.5 }],
  };
}

describe.each(STORES)('inventory and metrics on %s', (store) => {
  let server: TestServer;
  let machine: TestMachine;
  let admin: string;

  beforeAll(async () => {
    server = await startServerOn(store);
    machine = await enrollTestMachine(server, await newClient(server), 'inv-01');
    admin = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
  });

  afterAll(async () => {
    await server?.stop();
  });

  function post(path: string, body: unknown) {
    return agentRequest(`${server.agentApiUrl}${path}`, machine, { body, gzip: true });
  }

  async function get(url: string, token = admin) {
    const answer = await server.publicApp.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: answer.statusCode, body: answer.json() };
  }

  it('keeps the newest inventory and shows the OS in the machines list', async () => {
    expect((await get(`/api/machines/${machine.machineId}/inventory`)).body).toEqual({
      inventory: null,
    });
    expect(await post('/inventory', inventory('2026-03-01T10:00:00.000Z', '12'))).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    // A report collected earlier that arrives late changes nothing.
    await post('/inventory', inventory('2026-03-01T09:00:00.000Z', '11'));

    const read = await get(`/api/machines/${machine.machineId}/inventory`);
    expect(read.status).toBe(200);
    expect(read.body.inventory).toMatchObject({
      ...inventory('2026-03-01T10:00:00.000Z', '12'),
      received_at: expect.any(String),
    });
    const list = await get('/api/machines');
    const listed = list.body.machines.find((m: { id: string }) => m.id === machine.machineId);
    expect(listed.os).toEqual({ name: 'Debian GNU/Linux', version: '12' });
    const printed = await optralis(['machines', 'list'], server.env);
    expect(printed.stdout).toMatch(/^id +hostname +os +platform/);
    expect(printed.stdout).toMatch(
      new RegExp(`${machine.machineId} +inv-01 +Debian GNU/Linux 12 `),
    );
  });

  it('stores samples once each, drops impossible times, and reads them oldest first', async () => {
    const now = Date.now();
    const samples = [2, 1, 0].map((n) => sample(new Date(now - n * 10_000), 20 + n * 20));
    expect((await post('/collectors', { samples })).body).toEqual({ status: 'ok', stored: 3 });
    // The same batch again (its answer was lost): nothing new.
    expect((await post('/collectors', { samples })).body).toEqual({ status: 'ok', stored: 0 });
    const odd = [sample(new Date(now + 3 * 3600_000), 5), sample(new Date('2001-01-01'), 5)];
    expect((await post('/collectors', { samples: odd })).body).toEqual({ status: 'ok', stored: 0 });

    const read = await get(`/api/machines/${machine.machineId}/metrics`);
    expect(read.status).toBe(200);
    expect(read.body.samples).toEqual(samples);
    const since = await get(
      `/api/machines/${machine.machineId}/metrics?since=${encodeURIComponent(samples[1]?.at ?? '')}&limit=1`,
    );
    expect(since.body.samples).toEqual([samples[2]]);
    const stored = await server.ctx.db
      .selectFrom('machine_metrics')
      .select(['temperature_c', 'cpu_percent'])
      .where('machine_id', '=', machine.machineId)
      .orderBy('at')
      .execute();
    expect(stored).toEqual([
      { temperature_c: 61.5, cpu_percent: 60 },
      { temperature_c: null, cpu_percent: 40 },
      { temperature_c: null, cpu_percent: 20 },
    ]);
  });

  it('shows the last heartbeat readings in the machines list', async () => {
    await post('/heartbeat', {
      version: '1.0.0',
      platform: 'linux',
      arch: 'amd64',
      uptime_seconds: 86_400,
      cpu_percent: 3.5,
      memory: { total_bytes: 24e9, used_bytes: 5e9 },
      disk: { total_bytes: 9e10, used_bytes: 3e10 },
      temperature_c: 44.5,
    });
    const list = await get('/api/machines');
    const listed = list.body.machines.find((m: { id: string }) => m.id === machine.machineId);
    expect(listed.status).toEqual({
      uptime_seconds: 86_400,
      cpu_percent: 3.5,
      memory_total_bytes: 24e9,
      memory_used_bytes: 5e9,
      disk_total_bytes: 9e10,
      disk_used_bytes: 3e10,
      temperature_c: 44.5,
    });
  });

  it("keeps one client's machine data from another client's users", async () => {
    const other = await newClient(server, 'Other');
    await createUserIfAbsent(
      server.ctx.db,
      {
        email: 'other@example.test',
        password: 'another-long-password',
        role: 'client_admin',
        clientId: other,
      },
      new Date(),
    );
    const token = await login(server.publicApp, 'other@example.test', 'another-long-password');
    for (const path of ['inventory', 'metrics']) {
      const read = await get(`/api/machines/${machine.machineId}/${path}`, token);
      expect(read.status).toBe(404);
      expect(read.body.error.code).toBe('not_found');
    }
  });
});
