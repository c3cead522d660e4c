import fs from 'node:fs';
import os from 'node:os';
import type { HeartbeatRequest, MetricSample } from '@optralis/protocol';
import { TEMPERATURE_UNAVAILABLE } from '@optralis/protocol';
import { CpuMeter } from './cpu';
import { readSwap } from './linux-sys';
import type { NetworkMeter } from './network';
import type { TemperatureSource } from './temperature';

export type DiskUsage = { total_bytes: number; used_bytes: number };

/** Size and use of the filesystem holding `mount`, as `df` counts them; undefined if unreadable. */
export function diskUsage(mount: string): DiskUsage | undefined {
  try {
    const stats = fs.statfsSync(mount);
    const total = stats.blocks * stats.bsize;
    const used = (stats.blocks - stats.bfree) * stats.bsize;
    if (!Number.isSafeInteger(total) || total <= 0) return undefined;
    return { total_bytes: total, used_bytes: Math.min(total, Math.max(0, used)) };
  } catch {
    return undefined;
  }
}

export type HeartbeatReadings = Pick<
  HeartbeatRequest,
  'uptime_seconds' | 'cpu_percent' | 'memory' | 'disk' | 'temperature_c'
>;

export interface MachineSample {
  sample: MetricSample;
  heartbeat: HeartbeatReadings;
}

export interface SamplerOptions {
  temperature: TemperatureSource;
  network: NetworkMeter;
  /** `/`, or the Windows system drive (`C:\`). */
  systemDisk: string;
  /** Root of /proc and /sys (Linux), a fixture tree in tests. */
  sysRoot?: string;
  now?: () => Date;
}

/**
 * Takes one sample of the machine every heartbeat interval: what the heartbeat reports, and the
 * fuller sample the collectors send (every local filesystem, every interface, every sensor).
 * Everything is read from counters and files the system keeps; no process is started, except on
 * Windows for temperatures and network counters (at most once a minute).
 */
export class Sampler {
  private readonly cpu = new CpuMeter();
  private lastAt: number | undefined;
  private mounts: string[];

  constructor(private readonly options: SamplerOptions) {
    this.mounts = [options.systemDisk];
    this.lastAt = (options.now ?? (() => new Date()))().getTime();
  }

  /** The local filesystems to measure, from the inventory; the system disk is always one. */
  setMounts(mounts: string[]): void {
    const unique = [...new Set([this.options.systemDisk, ...mounts])];
    this.mounts = unique.slice(0, 64);
  }

  async sample(): Promise<MachineSample> {
    const at = (this.options.now ?? (() => new Date()))();
    const period = this.lastAt === undefined ? undefined : (at.getTime() - this.lastAt) / 1000;
    this.lastAt = at.getTime();

    const cpu = this.cpu.read();
    const total = os.totalmem();
    const memory = { total_bytes: total, used_bytes: Math.max(0, total - os.freemem()) };
    const swap = process.platform === 'linux' ? readSwap(this.options.sysRoot) : undefined;
    const disks = this.mounts.flatMap((mount) => {
      const usage = diskUsage(mount);
      return usage ? [{ mount: mount.slice(0, 512), ...usage }] : [];
    });
    const system = disks.find((disk) => disk.mount === this.options.systemDisk);
    const [network, temperature] = await Promise.all([
      this.options.network.rates(),
      this.options.temperature.read().catch(() => undefined),
    ]);
    const celsius = temperature?.celsius ?? TEMPERATURE_UNAVAILABLE;
    const load = process.platform === 'win32' ? undefined : os.loadavg()[0];

    const sample: MetricSample = {
      at: at.toISOString(),
      ...(period !== undefined && period >= 0 && period <= 86_400
        ? { period_seconds: period }
        : {}),
      cpu_percent: cpu,
      ...(load !== undefined && Number.isFinite(load)
        ? { load_1m: Math.round(load * 100) / 100 }
        : {}),
      memory,
      ...(swap ? { swap } : {}),
      disks,
      network: network ?? [],
      temperature_c: celsius,
      temperatures: (temperature?.sensors ?? [])
        .slice(0, 64)
        .map((s) => ({ sensor: s.sensor.slice(0, 128), celsius: s.celsius })),
    };
    return {
      sample,
      heartbeat: {
        uptime_seconds: Math.round(os.uptime()),
        cpu_percent: cpu,
        memory,
        ...(system
          ? { disk: { total_bytes: system.total_bytes, used_bytes: system.used_bytes } }
          : {}),
        temperature_c: celsius,
      },
    };
  }
}
