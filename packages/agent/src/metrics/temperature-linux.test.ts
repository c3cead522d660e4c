import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { readLinuxTemperatures } from './temperature-linux';

/** A fixture of /sys: each entry is a file path under the root and its content. */
function sysTree(files: Record<string, string>): string {
  const root = tempDir('sys');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

const hwmon = (n: number, chip: string, temps: Record<string, [string, string?]>) =>
  Object.fromEntries([
    [`sys/class/hwmon/hwmon${n}/name`, `${chip}\n`],
    ...Object.entries(temps).flatMap(([index, [value, label]]) => [
      [`sys/class/hwmon/hwmon${n}/temp${index}_input`, `${value}\n`],
      ...(label ? [[`sys/class/hwmon/hwmon${n}/temp${index}_label`, `${label}\n`]] : []),
    ]),
  ]);

const zone = (n: number, type: string, value: string) => ({
  [`sys/class/thermal/thermal_zone${n}/type`]: `${type}\n`,
  [`sys/class/thermal/thermal_zone${n}/temp`]: `${value}\n`,
});

describe('Linux temperatures from hwmon and thermal zones', () => {
  it('reports the Intel package sensor and lists every core', () => {
    const root = sysTree({
      ...hwmon(0, 'acpitz', { 1: ['27800'] }),
      ...hwmon(1, 'coretemp', {
        1: ['52000', 'Package id 0'],
        2: ['49000', 'Core 0'],
        3: ['55000', 'Core 1'],
      }),
      ...hwmon(2, 'nvme', { 1: ['38850', 'Composite'] }),
    });
    const reading = readLinuxTemperatures(root);
    expect(reading.celsius).toBe(52);
    expect(reading.source).toBe('hwmon');
    expect(reading.sensors).toEqual([
      { sensor: 'acpitz temp1', celsius: 27.8, kind: 'system' },
      { sensor: 'coretemp Package id 0', celsius: 52, kind: 'cpu' },
      { sensor: 'coretemp Core 0', celsius: 49, kind: 'other' },
      { sensor: 'coretemp Core 1', celsius: 55, kind: 'other' },
      { sensor: 'nvme Composite', celsius: 38.9, kind: 'drive' },
    ]);
  });

  it('prefers AMD Tdie over the offset Tctl', () => {
    const root = sysTree(hwmon(0, 'k10temp', { 1: ['71250', 'Tctl'], 2: ['44250', 'Tdie'] }));
    expect(readLinuxTemperatures(root).celsius).toBe(44.3);
  });

  it('uses the SoC thermal zone of a board without hwmon sensors', () => {
    const root = sysTree({
      ...zone(0, 'cpu-thermal', '48312'),
      ...zone(1, 'gpu-thermal', '45000'),
    });
    const reading = readLinuxTemperatures(root);
    expect(reading).toMatchObject({ celsius: 48.3, source: 'thermal' });
    expect(reading.sensors).toHaveLength(2);
  });

  it('falls back to the ACPI zone, never to a drive or a graphics card', () => {
    const root = sysTree({
      ...hwmon(0, 'nvme', { 1: ['61850'] }),
      ...hwmon(1, 'amdgpu', { 1: ['70000', 'edge'] }),
      ...zone(0, 'acpitz', '30000'),
    });
    expect(readLinuxTemperatures(root).celsius).toBe(30);
    const drivesOnly = sysTree(hwmon(0, 'nvme', { 1: ['61850'] }));
    expect(readLinuxTemperatures(drivesOnly)).toMatchObject({ celsius: undefined, source: 'none' });
  });

  it('leaves out impossible readings instead of reporting them', () => {
    const root = sysTree({
      // 0 K, 0 °C, unplugged inputs, an unreadable value, millidegrees read twice over, junk.
      ...hwmon(0, 'coretemp', {
        1: ['-273200', 'Package id 0'],
        2: ['0', 'Core 0'],
        3: ['-128000', 'Core 1'],
        4: ['', 'Core 2'],
        5: ['52000000', 'Core 3'],
        6: ['n/a', 'Core 4'],
      }),
      ...zone(0, 'x86_pkg_temp', '255500'),
      ...zone(1, 'acpitz', '-273150'),
    });
    const reading = readLinuxTemperatures(root);
    expect(reading).toEqual({ celsius: undefined, sensors: [], source: 'none' });
  });

  it('finds nothing on a machine without sensors, such as a container', () => {
    expect(readLinuxTemperatures(sysTree({ 'proc/meminfo': '' }))).toEqual({
      celsius: undefined,
      sensors: [],
      source: 'none',
    });
  });

  it('does not list a zone twice when hwmon already shows it', () => {
    const root = sysTree({
      ...hwmon(0, 'acpitz', { 1: ['41000'] }),
      ...zone(0, 'acpitz', '41000'),
    });
    expect(readLinuxTemperatures(root).sensors).toEqual([
      { sensor: 'acpitz temp1', celsius: 41, kind: 'system' },
    ]);
  });
});
