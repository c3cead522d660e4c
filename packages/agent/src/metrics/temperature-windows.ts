import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  believable,
  fromKelvin,
  NO_TEMPERATURE,
  pickTemperature,
  type SensorKind,
  type SensorReading,
  type TemperatureReading,
  type TemperatureSource,
} from './temperature';

/**
 * Runs a program and gives what it printed. The real one starts a process; tests pass recorded
 * outputs of LHM and of PowerShell on Windows machines, since no sensor and no WMI exist here.
 */
export type CommandRunner = (file: string, args: string[]) => Promise<string>;

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { windowsHide: true, timeout: 30_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });

/**
 * What `lhm-wrapper.exe --json` prints: every LibreHardwareMonitor sensor of every piece of
 * hardware, flattened. Temperatures are in °C; a sensor without a value has `value: null`.
 */
const lhmOutputSchema = z.object({
  sensors: z
    .array(
      z.object({
        hardware: z.string().max(256).optional(),
        hardware_type: z.string().max(64).optional(),
        name: z.string().max(256),
        type: z.string().max(64),
        value: z.number().nullable(),
      }),
    )
    .max(4096),
});

function lhmKind(hardwareType: string | undefined): SensorKind {
  switch (hardwareType?.toLowerCase()) {
    case 'cpu':
      return 'cpu';
    case 'motherboard':
    case 'superio':
      return 'system';
    case 'storage':
      return 'drive';
    case 'gpunvidia':
    case 'gpuamd':
    case 'gpuintel':
      return 'gpu';
    default:
      return 'other';
  }
}

/**
 * Temperatures from LHM's output. Of a CPU, the package sensor counts when there is one (it is
 * the hottest point), else the hottest core; every core is still listed.
 */
export function parseLhmOutput(text: string): SensorReading[] {
  const parsed = lhmOutputSchema.safeParse(JSON.parse(text.replace(/^\uFEFF/, '')));
  if (!parsed.success) throw new Error('lhm-wrapper printed an unexpected document');
  const readings: SensorReading[] = [];
  for (const sensor of parsed.data.sensors) {
    if (sensor.type.toLowerCase() !== 'temperature' || sensor.value === null) continue;
    const celsius = believable(sensor.value);
    if (celsius === undefined) continue;
    const name = `${sensor.hardware ?? 'hardware'} ${sensor.name}`.trim();
    readings.push({ sensor: name, celsius, kind: lhmKind(sensor.hardware_type) });
  }
  const packages = readings.filter((r) => r.kind === 'cpu' && /package|tdie|tctl/i.test(r.sensor));
  if (packages.length === 0) return readings;
  return readings.map((r) =>
    r.kind === 'cpu' && !packages.includes(r) ? { ...r, kind: 'other' } : r,
  );
}

/**
 * Both WMI thermal zone classes in one PowerShell run, as JSON: `MSAcpi_ThermalZoneTemperature`
 * (root/wmi, tenths of kelvin, needs the service's SYSTEM rights) and the performance counter
 * class `Win32_PerfFormattedData_Counters_ThermalZoneInformation` (kelvin, and tenths of kelvin
 * in HighPrecisionTemperature).
 */
export const WMI_THERMAL_SCRIPT = [
  "$ErrorActionPreference = 'SilentlyContinue'",
  '$zones = @()',
  '$zones += @(Get-CimInstance -Namespace root/wmi -ClassName MSAcpi_ThermalZoneTemperature | ' +
    "ForEach-Object { @{ source = 'acpi'; name = [string]$_.InstanceName; tenths_kelvin = $_.CurrentTemperature } })",
  '$zones += @(Get-CimInstance -ClassName Win32_PerfFormattedData_Counters_ThermalZoneInformation | ' +
    "ForEach-Object { @{ source = 'perf'; name = [string]$_.Name; kelvin = $_.Temperature; tenths_kelvin = $_.HighPrecisionTemperature } })",
  'ConvertTo-Json -Compress -InputObject @{ zones = @($zones) }',
].join('; ');

const wmiOutputSchema = z.object({
  zones: z
    .array(
      z.object({
        source: z.string().max(16),
        name: z.string().max(256).nullable().optional(),
        kelvin: z.number().nullable().optional(),
        tenths_kelvin: z.number().nullable().optional(),
      }),
    )
    .max(1024),
});

/**
 * Temperatures from the WMI thermal zones. The ACPI class counts in tenths of kelvin, the
 * performance class in kelvin: each is converted in its own unit, and a zone that reads 0, a
 * firmware placeholder, or anything a sensor cannot give is left out.
 */
export function parseWmiThermalZones(text: string): SensorReading[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return [];
  const parsed = wmiOutputSchema.safeParse(JSON.parse(trimmed));
  if (!parsed.success) throw new Error('the WMI thermal zone query printed an unexpected document');
  const readings: SensorReading[] = [];
  for (const zone of parsed.data.zones) {
    const celsius =
      typeof zone.tenths_kelvin === 'number' && zone.tenths_kelvin > 0
        ? fromKelvin(zone.tenths_kelvin / 10)
        : typeof zone.kelvin === 'number' && zone.kelvin > 0
          ? fromKelvin(zone.kelvin)
          : undefined;
    if (celsius === undefined) continue;
    readings.push({
      sensor: `${zone.source} ${zone.name ?? 'zone'}`.trim(),
      celsius,
      kind: 'system',
    });
  }
  return readings;
}

export interface WindowsTemperatureOptions {
  /** `C:\Program Files\Optralis Agent\lhm`: LHM is used only when its wrapper is there. */
  lhmDir: string;
  /** `%SystemRoot%`, to run PowerShell by its full path. */
  systemRoot: string;
  run?: CommandRunner;
  /** `path.win32`; tests on Linux pass `path.posix` with a fixture directory. */
  path?: path.PlatformPath;
  /** PowerShell costs a second of CPU: sensors are read at most this often. */
  minIntervalMs?: number;
  now?: () => number;
}

/**
 * Windows: LibreHardwareMonitor when it was installed (precise CPU temperatures, per core), then
 * the WMI thermal zones (a system or chipset value), else nothing (-1 in the heartbeat).
 */
export function windowsTemperatureSource(options: WindowsTemperatureOptions): TemperatureSource {
  const run = options.run ?? runCommand;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 60_000;
  let cached: { at: number; reading: TemperatureReading } | undefined;

  async function readLhm(): Promise<SensorReading[]> {
    const wrapper = (options.path ?? path.win32).join(options.lhmDir, 'lhm-wrapper.exe');
    if (!fs.existsSync(wrapper)) return [];
    return parseLhmOutput(await run(wrapper, ['--json']));
  }

  async function readWmi(): Promise<SensorReading[]> {
    const powershell = path.win32.join(
      options.systemRoot,
      'System32',
      'WindowsPowerShell',
      'v1.0',
      'powershell.exe',
    );
    const args = ['-NoProfile', '-NonInteractive', '-Command', WMI_THERMAL_SCRIPT];
    return parseWmiThermalZones(await run(powershell, args));
  }

  async function read(): Promise<TemperatureReading> {
    const lhm = await readLhm().catch(() => []);
    const fromLhm = pickTemperature(lhm);
    if (fromLhm !== undefined) return { celsius: fromLhm, sensors: lhm, source: 'lhm' };
    const wmi = await readWmi().catch(() => []);
    const fromWmi = pickTemperature(wmi);
    if (fromWmi !== undefined)
      return { celsius: fromWmi, sensors: [...lhm, ...wmi], source: 'wmi' };
    return { ...NO_TEMPERATURE, sensors: lhm };
  }

  let refreshing: Promise<void> | undefined;
  return {
    // The first reading is waited for; later ones come from the last refresh while the next runs
    // beside the heartbeats, so that a slow PowerShell never delays one.
    async read() {
      if (!cached || now() - cached.at >= minInterval) {
        refreshing ??= read()
          .then((reading) => {
            cached = { at: now(), reading };
          })
          .finally(() => {
            refreshing = undefined;
          });
        if (!cached) await refreshing;
      }
      return cached?.reading ?? NO_TEMPERATURE;
    },
  };
}
