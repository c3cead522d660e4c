import type { InventoryRequest, MetricSample } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestMachine, newClient, type TestMachine } from '../../../test/support/machines';
import { freePort } from '../../../test/support/ports';
import { startTestServer, type TestServer } from '../../../test/support/server';
import { createLog } from './log';
import { Telemetry } from './telemetry';
import { AgentTransport } from './transport';

function sample(at: number): MetricSample {
  return {
    at: new Date(at).toISOString(),
    cpu_percent: 5,
    disks: [{ mount: '/', total_bytes: 1000, used_bytes: 10 }],
    network: [],
    temperature_c: -1,
  };
}

describe('samples and inventory on their way to the server', () => {
  let server: TestServer;
  let machine: TestMachine;
  let live: AgentTransport;

  beforeAll(async () => {
    server = await startTestServer();
    machine = await enrollTestMachine(server, await newClient(server), 'telemetry-01');
    live = new AgentTransport(server.agentApiUrl, {
      certificatePem: machine.cert,
      keyPem: machine.key,
      caPem: machine.ca,
    });
  });

  afterAll(async () => {
    live?.close();
    await server?.stop();
  });

  function telemetry(samples: MetricSample[], options: { max?: number; now?: () => number } = {}) {
    const lines: string[] = [];
    const mounts: string[][] = [];
    let next = 0;
    const inventory = {
      collected: 0,
      report: (): InventoryRequest => ({
        collected_at: new Date().toISOString(),
        hostname: 'telemetry-01',
        os: { platform: 'linux', name: 'Debian GNU/Linux', arch: 'x64' },
        cpu: { model: 'Test CPU', cores: 2 },
        memory: { total_bytes: 1 },
        disks: [],
        filesystems: [{ mount: '/srv', size_bytes: 10, used_bytes: 1 }],
        network_interfaces: [],
      }),
    };
    const subject = new Telemetry({
      sampler: {
        sample: async () => ({ sample: samples[next++] ?? sample(Date.now()), heartbeat: {} }),
        setMounts: (list) => mounts.push(list),
      },
      collectInventory: async () => {
        inventory.collected += 1;
        return inventory.report();
      },
      log: createLog('info', (line) => lines.push(line)),
      postEveryMs: 0,
      ...(options.max ? { maxBuffered: options.max } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    return { subject, lines, mounts, inventory };
  }

  async function storedAt(): Promise<string[]> {
    const rows = await server.ctx.db
      .selectFrom('machine_metrics')
      .select('at')
      .where('machine_id', '=', machine.machineId)
      .orderBy('at')
      .execute();
    return rows.map((row) => row.at);
  }

  it('keeps samples while the server is away and sends them when it is back', async () => {
    const base = Date.now() - 60_000;
    const samples = [0, 1, 2, 3].map((n) => sample(base + n * 1000));
    const { subject } = telemetry(samples);
    const away = new AgentTransport(`https://127.0.0.1:${await freePort()}`, {
      certificatePem: machine.cert,
      keyPem: machine.key,
      caPem: machine.ca,
    });
    for (let n = 0; n < 4; n++) {
      await subject.tick();
      await subject.sendDue(away);
    }
    away.close();
    expect(subject.buffered).toBe(4);
    await subject.sendDue(live);
    expect(subject.buffered).toBe(0);
    expect(await storedAt()).toEqual(expect.arrayContaining(samples.map((s) => s.at)));
  });

  it('keeps only the newest samples past its bound', async () => {
    const base = Date.now() - 120_000;
    const samples = Array.from({ length: 8 }, (_, n) => sample(base + n * 1000));
    const { subject } = telemetry(samples, { max: 3 });
    for (let n = 0; n < 8; n++) await subject.tick();
    expect(subject.buffered).toBe(3);
    await subject.flush(live);
    const stored = await storedAt();
    expect(stored).toEqual(expect.arrayContaining(samples.slice(5).map((s) => s.at)));
    expect(stored).not.toContain(samples[4]?.at);
  });

  it('drops a batch the server refuses, and says so once', async () => {
    const broken = { ...sample(Date.now()), cpu_percent: 250 };
    const { subject, lines } = telemetry([broken, broken]);
    await subject.tick();
    await subject.sendDue(live);
    await subject.tick();
    await subject.sendDue(live);
    expect(subject.buffered).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /WARN the server refused a report path=\/collectors code=validation_failed/,
    );
  });

  it('sends the inventory at start and again a day later, and measures its filesystems', async () => {
    let now = Date.now();
    const { subject, inventory, mounts } = telemetry([], { now: () => now });
    for (let n = 0; n < 3; n++) await subject.sendDue(live);
    expect(inventory.collected).toBe(1);
    expect(mounts).toEqual([['/srv']]);
    const stored = await server.ctx.db
      .selectFrom('machine_inventory')
      .select('cpu_model')
      .where('machine_id', '=', machine.machineId)
      .executeTakeFirst();
    expect(stored?.cpu_model).toBe('Test CPU');

    now += 23 * 3600_000;
    await subject.sendDue(live);
    expect(inventory.collected).toBe(1);
    now += 3600_000;
    for (let n = 0; n < 3; n++) await subject.sendDue(live);
    expect(inventory.collected).toBe(2);
  });
});
