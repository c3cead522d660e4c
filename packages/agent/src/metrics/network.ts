import si from 'systeminformation';
import { type InterfaceCounters, readNetworkCounters } from './linux-sys';

/** Byte counters per interface, read from wherever the platform keeps them. */
export type CounterReader = () => Promise<Map<string, InterfaceCounters>>;

export function linuxCounters(root = '/'): CounterReader {
  return async () => readNetworkCounters(root);
}

/**
 * Windows keeps the counters in performance data that systeminformation reads through
 * PowerShell: a second of CPU, so they are read at most once a minute (rates then cover it).
 */
export function windowsCounters(): CounterReader {
  return async () => {
    const stats = await si.networkStats('*');
    const counters = new Map<string, InterfaceCounters>();
    for (const entry of stats) {
      if (Number.isSafeInteger(entry.rx_bytes) && Number.isSafeInteger(entry.tx_bytes)) {
        counters.set(entry.iface, { rx: entry.rx_bytes, tx: entry.tx_bytes });
      }
    }
    return counters;
  };
}

export interface InterfaceRate {
  name: string;
  rx_bytes_per_second: number;
  tx_bytes_per_second: number;
}

/**
 * Network rates over the time since the previous reading. An interface that appeared, or whose
 * counters went back (a reset, a wrap, a driver reload), has no rate this time.
 */
export class NetworkMeter {
  private last: { at: number; counters: Map<string, InterfaceCounters> } | undefined;

  constructor(
    private readonly read: CounterReader,
    private readonly minIntervalMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  async rates(): Promise<InterfaceRate[] | undefined> {
    const at = this.now();
    if (this.last && at - this.last.at < this.minIntervalMs) return undefined;
    const counters = await this.read().catch(() => undefined);
    if (!counters) return undefined;
    const previous = this.last;
    this.last = { at, counters };
    if (!previous || at <= previous.at) return undefined;

    const seconds = (at - previous.at) / 1000;
    const rates: InterfaceRate[] = [];
    for (const [name, now] of counters) {
      const before = previous.counters.get(name);
      if (!before || now.rx < before.rx || now.tx < before.tx) continue;
      rates.push({
        name: name.slice(0, 128),
        rx_bytes_per_second: Math.round(((now.rx - before.rx) / seconds) * 10) / 10,
        tx_bytes_per_second: Math.round(((now.tx - before.tx) / seconds) * 10) / 10,
      });
    }
    return rates.slice(0, 64);
  }
}
