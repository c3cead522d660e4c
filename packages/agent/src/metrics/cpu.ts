import os from 'node:os';

interface CpuTimes {
  idle: number;
  total: number;
}

function totals(cpus: os.CpuInfo[]): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus) {
    const { user, nice, sys, idle: rest, irq } = cpu.times;
    idle += rest;
    total += user + nice + sys + rest + irq;
  }
  return { idle, total };
}

/**
 * CPU use over the time since the previous reading, all cores together, from the counters the
 * system keeps (no process is started). The first reading, or one taken too soon after the
 * previous, has no interval to average over and is null.
 */
export class CpuMeter {
  private last: CpuTimes;

  constructor(private readonly cpus: () => os.CpuInfo[] = os.cpus) {
    this.last = totals(this.cpus());
  }

  read(): number | null {
    const now = totals(this.cpus());
    const total = now.total - this.last.total;
    const idle = now.idle - this.last.idle;
    // Counters in milliseconds: less than 100 ms of CPU time is too little to mean anything.
    if (total < 100) return null;
    this.last = now;
    const busy = Math.min(100, Math.max(0, 100 * (1 - idle / total)));
    return Math.round(busy * 10) / 10;
  }
}
