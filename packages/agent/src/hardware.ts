import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** Unreadable or placeholder ids that many machines share and so identify nothing. */
const PLACEHOLDERS = new Set([
  '',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '03000200-0400-0500-0006-000700080009',
]);

function usable(raw: string): string | undefined {
  const value = raw.trim().toLowerCase();
  return PLACEHOLDERS.has(value) ? undefined : value;
}

function readTrimmed(file: string): string | undefined {
  try {
    return usable(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A stable id of this Linux machine: the DMI product UUID when readable (root only), else the
 * systemd machine id. Windows reads MachineGuid in its own adapter.
 */
export function linuxHardwareId(): string | undefined {
  return (
    readTrimmed('/sys/class/dmi/id/product_uuid') ??
    readTrimmed('/etc/machine-id') ??
    readTrimmed('/var/lib/dbus/machine-id')
  );
}

/** The value of MachineGuid in what `reg query` printed, if any. */
export function parseMachineGuid(output: string): string | undefined {
  const match = /^\s*MachineGuid\s+REG_SZ\s+(\S+)\s*$/im.exec(output);
  return match?.[1] ? usable(match[1]) : undefined;
}

/**
 * Windows' MachineGuid, read from the 64-bit registry view with `reg query` (present on every
 * supported Windows and under Wine), so that a 32-bit view can never give another value.
 */
export function windowsHardwareId(): string | undefined {
  const systemRoot = process.env.SystemRoot ?? process.env.SYSTEMROOT;
  const reg = systemRoot ? `${systemRoot}\\System32\\reg.exe` : 'reg.exe';
  try {
    const output = execFileSync(
      reg,
      ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid', '/reg:64'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true, timeout: 15_000 },
    );
    return parseMachineGuid(output);
  } catch {
    return undefined;
  }
}

/** The hardware id this machine reports when it enrolls. */
export function machineHardwareId(): string | undefined {
  return process.platform === 'win32' ? windowsHardwareId() : linuxHardwareId();
}

export function hostname(): string {
  return os.hostname();
}
