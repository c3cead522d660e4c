import fs from 'node:fs';
import path from 'node:path';
import { compareNatural } from './natural-order';

/** Reads a small file of /proc or /sys; missing or unreadable is undefined. */
export function readSmall(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort(compareNatural);
  } catch {
    return [];
  }
}

export interface InterfaceCounters {
  rx: number;
  tx: number;
}

/**
 * Byte counters of the network interfaces in `/sys/class/net`, except loopback and the host
 * ends of container links (`veth*`), which only repeat traffic counted elsewhere.
 */
export function readNetworkCounters(root = '/'): Map<string, InterfaceCounters> {
  const base = path.join(root, 'sys/class/net');
  const counters = new Map<string, InterfaceCounters>();
  for (const name of listDir(base)) {
    if (name === 'lo' || name.startsWith('veth')) continue;
    const rx = Number(readSmall(path.join(base, name, 'statistics/rx_bytes'))?.trim());
    const tx = Number(readSmall(path.join(base, name, 'statistics/tx_bytes'))?.trim());
    if (Number.isSafeInteger(rx) && Number.isSafeInteger(tx)) counters.set(name, { rx, tx });
  }
  return counters;
}

/** Swap size and use from /proc/meminfo, in bytes; undefined when the file cannot be read. */
export function readSwap(root = '/'): { total_bytes: number; used_bytes: number } | undefined {
  const text = readSmall(path.join(root, 'proc/meminfo'));
  if (!text) return undefined;
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const total = field('SwapTotal');
  const free = field('SwapFree');
  if (total === undefined || free === undefined) return undefined;
  return { total_bytes: total, used_bytes: Math.max(0, total - free) };
}
