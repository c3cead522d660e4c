import fs from 'node:fs';
import os from 'node:os';

/** Unreadable or placeholder ids that many machines share and so identify nothing. */
const PLACEHOLDERS = new Set([
  '',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '03000200-0400-0500-0006-000700080009',
]);

function readTrimmed(file: string): string | undefined {
  try {
    const value = fs.readFileSync(file, 'utf8').trim().toLowerCase();
    return PLACEHOLDERS.has(value) ? undefined : value;
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

export function hostname(): string {
  return os.hostname();
}
