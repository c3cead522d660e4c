import { isPlausibleCelsius } from '@optralis/protocol';

export type SensorKind = 'cpu' | 'system' | 'drive' | 'gpu' | 'other';

export interface SensorReading {
  sensor: string;
  celsius: number;
  kind: SensorKind;
}

/** What one read of the machine's sensors gave: the CPU (or system) value, and every sensor. */
export interface TemperatureReading {
  /** Degrees Celsius, or undefined when no sensor gave a believable value. */
  celsius: number | undefined;
  sensors: SensorReading[];
  /** Which source answered: `hwmon`, `thermal`, `lhm`, `wmi`, or `none`. */
  source: string;
}

export interface TemperatureSource {
  read(): Promise<TemperatureReading>;
}

export const NO_TEMPERATURE: TemperatureReading = {
  celsius: undefined,
  sensors: [],
  source: 'none',
};

/** One decimal, and only a value a real sensor of a running machine can give. */
export function believable(celsius: number): number | undefined {
  if (!isPlausibleCelsius(celsius)) return undefined;
  const rounded = Math.round(celsius * 10) / 10;
  return isPlausibleCelsius(rounded) ? rounded : undefined;
}

/** Converts kelvin to Celsius; 0 K and anything impossible are undefined. */
export function fromKelvin(kelvin: number): number | undefined {
  return believable(kelvin - 273.15);
}

/**
 * The value a heartbeat reports: the hottest CPU sensor; without one, the hottest system sensor
 * (ACPI thermal zones, chipset); without those, any other sensor except drives and graphics
 * cards, which say nothing about the machine's own cooling.
 */
export function pickTemperature(sensors: SensorReading[]): number | undefined {
  for (const kinds of [['cpu'], ['system'], ['other']] as SensorKind[][]) {
    const values = sensors.filter((s) => kinds.includes(s.kind)).map((s) => s.celsius);
    if (values.length > 0) return Math.max(...values);
  }
  return undefined;
}
