import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import {
  type CommandRunner,
  parseLhmOutput,
  parseWmiThermalZones,
  windowsTemperatureSource,
} from './temperature-windows';

/** Outputs recorded on Windows machines: LHM's wrapper and the WMI thermal zone query. */
const recorded = (name: string) =>
  fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('Windows temperatures (recorded outputs)', () => {
  it('reads LHM: the CPU package counts, every believable sensor is listed', () => {
    const sensors = parseLhmOutput(recorded('lhm-desktop-intel.txt'));
    expect(sensors.filter((s) => s.kind === 'cpu')).toEqual([
      { sensor: 'Intel Core i7-8700 CPU Package', celsius: 53, kind: 'cpu' },
    ]);
    expect(sensors.map((s) => s.sensor)).toEqual([
      'Intel Core i7-8700 CPU Core #1',
      'Intel Core i7-8700 CPU Core #2',
      'Intel Core i7-8700 CPU Package',
      'Intel Core i7-8700 Core Max',
      'Nuvoton NCT6798D Temperature #1',
      'Nuvoton NCT6798D Temperature #5',
      'Samsung SSD 970 EVO 500GB Temperature',
      'NVIDIA GeForce GTX 1060 6GB GPU Core',
    ]);
  });

  it('reads LHM on AMD, with a byte order mark and no package temperature', () => {
    const sensors = parseLhmOutput(recorded('lhm-desktop-amd.txt'));
    expect(sensors).toEqual([
      { sensor: 'AMD Ryzen 7 5800X Core (Tctl/Tdie)', celsius: 61.4, kind: 'cpu' },
      { sensor: 'AMD Ryzen 7 5800X CCD1 (Tdie)', celsius: 58.3, kind: 'cpu' },
    ]);
  });

  it('reads the WMI zones in their own units: tenths of kelvin and kelvin', () => {
    expect(parseWmiThermalZones(recorded('wmi-laptop.txt'))).toEqual([
      { sensor: 'acpi ACPI\\ThermalZone\\THM0_0', celsius: 40.1, kind: 'system' },
      { sensor: 'acpi ACPI\\ThermalZone\\TZ01_0', celsius: 27.9, kind: 'system' },
      { sensor: 'perf \\_TZ.THM0', celsius: 40.1, kind: 'system' },
      { sensor: 'perf \\_TZ.TZ01', celsius: 27.9, kind: 'system' },
    ]);
  });

  it('drops firmware placeholders: 0 K, 0 °C, and values no sensor gives', () => {
    expect(parseWmiThermalZones(recorded('wmi-firmware-placeholders.txt'))).toEqual([]);
    expect(parseWmiThermalZones(recorded('wmi-virtual-machine.txt'))).toEqual([]);
    expect(parseWmiThermalZones('')).toEqual([]);
  });

  it('refuses documents of another shape rather than guessing', () => {
    expect(() => parseLhmOutput('{"Children":[]}')).toThrow();
    expect(() => parseWmiThermalZones('[{"CurrentTemperature":3132}]')).toThrow();
    expect(() => parseWmiThermalZones('Get-CimInstance : Access denied')).toThrow();
  });
});

describe('the Windows temperature source', () => {
  function machine(outputs: { lhm?: string | Error; wmi?: string | Error }, withLhm: boolean) {
    const lhmDir = tempDir('lhm');
    if (withLhm) fs.writeFileSync(path.join(lhmDir, 'lhm-wrapper.exe'), '');
    const calls: string[] = [];
    const run: CommandRunner = async (file) => {
      const which = file.endsWith('lhm-wrapper.exe') ? 'lhm' : 'wmi';
      calls.push(which);
      const output = outputs[which];
      if (output === undefined || output instanceof Error) throw output ?? new Error('missing');
      return output;
    };
    return { lhmDir, calls, run };
  }

  it('uses LHM when it is installed', async () => {
    const m = machine(
      { lhm: recorded('lhm-desktop-intel.txt'), wmi: recorded('wmi-laptop.txt') },
      true,
    );
    const source = windowsTemperatureSource({ ...m, systemRoot: 'C:\\Windows', path: path.posix });
    expect(await source.read()).toMatchObject({ celsius: 53, source: 'lhm' });
    expect(m.calls).toEqual(['lhm']);
  });

  it('falls back to WMI without LHM, or when LHM fails', async () => {
    for (const [outputs, withLhm] of [
      [{ wmi: recorded('wmi-laptop.txt') }, false],
      [{ lhm: new Error('driver blocked'), wmi: recorded('wmi-laptop.txt') }, true],
      [{ lhm: '{"sensors":[]}', wmi: recorded('wmi-laptop.txt') }, true],
    ] as const) {
      const m = machine(outputs, withLhm);
      const source = windowsTemperatureSource({
        ...m,
        systemRoot: 'C:\\Windows',
        path: path.posix,
      });
      expect(await source.read()).toMatchObject({ celsius: 40.1, source: 'wmi' });
    }
  });

  it('has no temperature when neither gives a believable value', async () => {
    const m = machine({ wmi: recorded('wmi-firmware-placeholders.txt') }, false);
    const source = windowsTemperatureSource({ ...m, systemRoot: 'C:\\Windows', path: path.posix });
    expect(await source.read()).toEqual({ celsius: undefined, sensors: [], source: 'none' });
  });

  it('runs PowerShell at most once a minute, never holding a heartbeat back', async () => {
    let now = 0;
    const m = machine({ wmi: recorded('wmi-laptop.txt') }, false);
    const source = windowsTemperatureSource({
      ...m,
      systemRoot: 'C:\\Windows',
      path: path.posix,
      now: () => now,
    });
    await source.read();
    now = 30_000;
    await source.read();
    expect(m.calls).toEqual(['wmi']);
    now = 60_000;
    // The stale reading is answered at once; the new query runs beside it.
    expect(await source.read()).toMatchObject({ celsius: 40.1, source: 'wmi' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(m.calls).toEqual(['wmi', 'wmi']);
  });
});
