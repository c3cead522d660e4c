import path from 'node:path';
import { listDir, readSmall } from './linux-sys';
import {
  believable,
  pickTemperature,
  type SensorKind,
  type SensorReading,
  type TemperatureReading,
  type TemperatureSource,
} from './temperature';

/** hwmon drivers of processor sensors (Intel, AMD, and the SoC zones of ARM boards). */
const CPU_CHIPS = new Set([
  'coretemp',
  'k10temp',
  'k8temp',
  'zenpower',
  'cpu_thermal',
  'cpu-thermal',
  'soc_thermal',
  'scpi_sensors',
]);
const DRIVE_CHIPS = new Set(['nvme', 'drivetemp']);
const GPU_CHIPS = new Set(['amdgpu', 'radeon', 'nouveau', 'i915']);

function chipKind(chip: string): SensorKind {
  if (CPU_CHIPS.has(chip)) return 'cpu';
  if (DRIVE_CHIPS.has(chip)) return 'drive';
  if (GPU_CHIPS.has(chip)) return 'gpu';
  if (chip === 'acpitz') return 'system';
  return 'other';
}

/** Thermal zone types that measure the processor package or the SoC. */
function zoneKind(type: string): SensorKind {
  const name = type.toLowerCase();
  if (name === 'x86_pkg_temp' || name.startsWith('cpu') || name.startsWith('soc')) return 'cpu';
  if (name === 'acpitz') return 'system';
  return 'other';
}

/** A kernel reading in millidegrees Celsius, checked; junk, 0 and -273200 are undefined. */
function milli(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  if (!Number.isFinite(value) || text.trim() === '') return undefined;
  return believable(value / 1000);
}

/**
 * AMD reports Tctl (a control value that some models offset by up to 27 °C) and, on those
 * models, Tdie (the real die temperature): keep Tdie when both are there.
 */
function preferDie(readings: SensorReading[]): SensorReading[] {
  const hasDie = readings.some((r) => / tdie$/i.test(r.sensor));
  return hasDie ? readings.filter((r) => !/ tctl$/i.test(r.sensor)) : readings;
}

/** Intel: the package sensor when there is one, which is the hottest point of the die. */
function preferPackage(readings: SensorReading[]): SensorReading[] {
  const packages = readings.filter((r) => /package id/i.test(r.sensor));
  return packages.length > 0 ? packages : readings;
}

function readHwmon(root: string): SensorReading[] {
  const base = path.join(root, 'sys/class/hwmon');
  const readings: SensorReading[] = [];
  for (const dir of listDir(base)) {
    const chipDir = path.join(base, dir);
    const chip = (
      readSmall(path.join(chipDir, 'name')) ??
      readSmall(path.join(chipDir, 'device/name')) ??
      dir
    ).trim();
    const kind = chipKind(chip);
    const chipReadings: SensorReading[] = [];
    for (const file of listDir(chipDir)) {
      const input = /^temp(\d+)_input$/.exec(file);
      if (!input) continue;
      const celsius = milli(readSmall(path.join(chipDir, file)));
      if (celsius === undefined) continue;
      const label = readSmall(path.join(chipDir, `temp${input[1]}_label`))?.trim();
      chipReadings.push({ sensor: `${chip} ${label || `temp${input[1]}`}`, celsius, kind });
    }
    const kept = kind === 'cpu' ? preferPackage(preferDie(chipReadings)) : chipReadings;
    // Every sensor is listed; only the preferred ones of a CPU chip count for its temperature.
    for (const reading of chipReadings) {
      readings.push(kept.includes(reading) ? reading : { ...reading, kind: 'other' });
    }
  }
  return readings;
}

function readThermalZones(root: string, hwmonChips: Set<string>): SensorReading[] {
  const base = path.join(root, 'sys/class/thermal');
  const readings: SensorReading[] = [];
  for (const zone of listDir(base)) {
    if (!zone.startsWith('thermal_zone')) continue;
    const type = readSmall(path.join(base, zone, 'type'))?.trim() ?? zone;
    // Zones the hwmon class already showed (acpitz, cpu_thermal on ARM) are not listed twice.
    if (hwmonChips.has(type)) continue;
    const celsius = milli(readSmall(path.join(base, zone, 'temp')));
    if (celsius !== undefined)
      readings.push({ sensor: `${zone} ${type}`, celsius, kind: zoneKind(type) });
  }
  return readings;
}

/**
 * Linux sensors: the hwmon class (`/sys/class/hwmon/hwmon*`: coretemp, k10temp, acpitz, …) and
 * the thermal zones (`/sys/class/thermal/thermal_zone*`), both in millidegrees. `root` is `/`
 * on a machine and a fixture tree in tests.
 */
export function readLinuxTemperatures(root = '/'): TemperatureReading {
  const hwmon = readHwmon(root);
  const chips = new Set(hwmon.map((reading) => reading.sensor.split(' ')[0] ?? ''));
  const zones = readThermalZones(root, chips);
  const sensors = [...hwmon, ...zones];
  const celsius = pickTemperature(sensors);
  const source = celsius === undefined ? 'none' : hwmon.length > 0 ? 'hwmon' : 'thermal';
  return { celsius, sensors: sensors.slice(0, 64), source };
}

export function linuxTemperatureSource(root = '/'): TemperatureSource {
  return { read: async () => readLinuxTemperatures(root) };
}
