import fs from 'node:fs';
import type os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasBelievableSensor } from '../../../../test/support/sensors';
import { tempDir } from '../../../../test/support/server';
import { CpuMeter } from './cpu';
import { readSwap } from './linux-sys';
import { linuxCounters, NetworkMeter } from './network';
import { Sampler } from './sampler';
import { NO_TEMPERATURE } from './temperature';
import { linuxTemperatureSource } from './temperature-linux';

function cpus(busy: number, idle: number): os.CpuInfo[] {
  const times = { user: busy, nice: 0, sys: 0, idle, irq: 0 };
  return [
    { model: 'test', speed: 1, times },
    { model: 'test', speed: 1, times },
  ];
}

function write(root: string, file: string, content: string) {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), content);
}

describe('the machine readings', () => {
  it('averages CPU use over the time since the last reading', () => {
    let now = cpus(1000, 9000);
    const meter = new CpuMeter(() => now);
    expect(meter.read()).toBeNull();
    now = cpus(1750, 9250);
    expect(meter.read()).toBe(75);
    now = cpus(1760, 9340);
    expect(meter.read()).toBe(10);
  });

  it('computes network rates from the counters, skipping loopback, container links and resets', async () => {
    const root = tempDir('net');
    const counters = (name: string, rx: number, tx: number) => {
      write(root, `sys/class/net/${name}/statistics/rx_bytes`, `${rx}\n`);
      write(root, `sys/class/net/${name}/statistics/tx_bytes`, `${tx}\n`);
    };
    let now = 0;
    const meter = new NetworkMeter(linuxCounters(root), 0, () => now);
    counters('lo', 0, 0);
    counters('veth12ab', 0, 0);
    counters('eth0', 1_000_000, 50_000);
    counters('wlan0', 5_000, 5_000);
    expect(await meter.rates()).toBeUndefined();

    now = 10_000;
    counters('eth0', 1_100_000, 60_000);
    counters('wlan0', 10, 10);
    counters('lo', 999_999, 999_999);
    expect(await meter.rates()).toEqual([
      { name: 'eth0', rx_bytes_per_second: 10_000, tx_bytes_per_second: 1_000 },
    ]);
  });

  it('reads swap from /proc/meminfo', () => {
    const root = tempDir('proc');
    write(root, 'proc/meminfo', 'MemTotal:  16000 kB\nSwapTotal:  2048 kB\nSwapFree:  1024 kB\n');
    expect(readSwap(root)).toEqual({ total_bytes: 2048 * 1024, used_bytes: 1024 * 1024 });
    expect(readSwap(tempDir('empty'))).toBeUndefined();
  });

  it('samples the system disk, memory and temperature for the heartbeat', async () => {
    let at = Date.parse('2026-01-01T00:00:00Z');
    const sampler = new Sampler({
      temperature: { read: async () => NO_TEMPERATURE },
      network: new NetworkMeter(linuxCounters(tempDir('none'))),
      systemDisk: '/',
      sysRoot: tempDir('root'),
      now: () => new Date(at),
    });
    at += 10_000;
    const { sample, heartbeat } = await sampler.sample();
    expect(sample.at).toBe('2026-01-01T00:00:10.000Z');
    expect(sample.period_seconds).toBe(10);
    expect(sample.disks.map((disk) => disk.mount)).toEqual(['/']);
    expect(heartbeat.disk).toEqual({
      total_bytes: sample.disks[0]?.total_bytes,
      used_bytes: sample.disks[0]?.used_bytes,
    });
    expect(heartbeat.disk?.total_bytes).toBeGreaterThan(0);
    expect(heartbeat.memory?.total_bytes).toBeGreaterThan(0);
    expect(heartbeat.temperature_c).toBe(-1);
    expect(sample.temperature_c).toBe(-1);
    expect(sample.temperatures).toEqual([]);

    sampler.setMounts(['/', '/does/not/exist']);
    const next = await sampler.sample();
    expect(next.sample.disks.map((disk) => disk.mount)).toEqual(['/']);
  });

  it.runIf(process.platform === 'linux')(
    'reads this machine’s own sensors for the heartbeat, or -1 when it has none',
    async () => {
      const sampler = new Sampler({
        temperature: linuxTemperatureSource('/'),
        network: new NetworkMeter(linuxCounters('/')),
        systemDisk: '/',
      });
      // CPU use needs some CPU time between two readings: sample until it has one.
      let { heartbeat } = await sampler.sample();
      for (let attempt = 0; heartbeat.cpu_percent === null && attempt < 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ({ heartbeat } = await sampler.sample());
      }
      expect(heartbeat.uptime_seconds).toBeGreaterThan(0);
      expect(heartbeat.cpu_percent).toBeGreaterThanOrEqual(0);
      expect(heartbeat.cpu_percent).toBeLessThanOrEqual(100);
      for (const usage of [heartbeat.memory, heartbeat.disk]) {
        expect(usage?.total_bytes).toBeGreaterThan(0);
        expect(usage?.used_bytes).toBeLessThanOrEqual(usage?.total_bytes ?? 0);
      }
      if (hasBelievableSensor()) {
        expect(heartbeat.temperature_c).toBeGreaterThanOrEqual(1);
        expect(heartbeat.temperature_c).toBeLessThanOrEqual(150);
      } else {
        expect(heartbeat.temperature_c).toBe(-1);
      }
    },
  );
});
