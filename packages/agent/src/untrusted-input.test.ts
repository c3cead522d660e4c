import fs from 'node:fs';
import path from 'node:path';
import { inventoryRequestSchema, isPlausibleCelsius, plainText } from '@optralis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/server';
import { buildInventory, type SystemFacts } from './inventory';
import { readLinuxTemperatures } from './metrics/temperature-linux';
import { parseLhmOutput, parseWmiThermalZones } from './metrics/temperature-windows';
import { cleanText } from './text';

/** Anything a probe, a file or a program could hand the agent. */
const junk = fc.oneof(
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom('', '-', 'Default string', '\u0000', ' \t ', '\uD800x'),
);
const record = (keys: string[]) =>
  fc.record(Object.fromEntries(keys.map((key) => [key, junk])), { requiredKeys: [] });

const facts: fc.Arbitrary<SystemFacts> = fc.record(
  {
    os: record(['distro', 'release', 'build', 'kernel', 'arch']),
    system: record(['manufacturer', 'model', 'serial', 'virtual']),
    cpu: record(['manufacturer', 'brand', 'cores', 'physicalCores', 'processors', 'speed']),
    mem: record(['total', 'swaptotal']),
    disks: fc.array(record(['device', 'name', 'type', 'size', 'serialNum', 'interfaceType']), {
      maxLength: 200,
    }),
    filesystems: fc.array(record(['mount', 'fs', 'type', 'size', 'used']), { maxLength: 300 }),
    interfaces: fc.array(
      fc.record(
        {
          iface: junk,
          mac: junk,
          ip4: fc.oneof(junk, fc.array(junk)),
          ip6: fc.oneof(junk, fc.array(junk, { maxLength: 100 })),
          speed: junk,
          internal: junk,
        },
        { requiredKeys: [] },
      ),
      { maxLength: 300 },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<SystemFacts>;

describe('what the agent reads from the machine, whatever it is', () => {
  it('always makes an inventory the server accepts', () => {
    fc.assert(
      fc.property(facts, junk, (input, hostname) => {
        const report = buildInventory(input, {
          hostname: String(hostname),
          hardwareId: typeof hostname === 'string' ? hostname : undefined,
          platform: 'linux',
          now: new Date('2026-01-01T00:00:00Z'),
        });
        expect(inventoryRequestSchema.safeParse(report).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('cleans any text into something the server accepts, or nothing', () => {
    fc.assert(
      fc.property(junk, fc.integer({ min: 1, max: 300 }), (value, max) => {
        const text = cleanText(value, max);
        if (text !== undefined) expect(plainText(max).safeParse(text).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads sensor programs into believable values only, or refuses their output', () => {
    const lhm = fc
      .array(
        fc.record({
          hardware: fc.string({ maxLength: 20 }),
          hardware_type: fc.constantFrom('Cpu', 'Storage', 'SuperIO', 'GpuAmd', 'Memory'),
          name: fc.string({ maxLength: 20 }),
          type: fc.constantFrom('Temperature', 'Load', 'temperature'),
          value: fc.oneof(fc.double(), fc.constant(null)),
        }),
        { maxLength: 20 },
      )
      .map((sensors) => JSON.stringify({ sensors }));
    const wmi = fc
      .array(
        fc.record(
          {
            source: fc.constantFrom('acpi', 'perf'),
            name: fc.string({ maxLength: 20 }),
            kelvin: fc.oneof(fc.double(), fc.integer(), fc.constant(null)),
            tenths_kelvin: fc.oneof(fc.integer({ min: -70000, max: 70000 }), fc.constant(null)),
          },
          { requiredKeys: ['source'] },
        ),
        { maxLength: 20 },
      )
      .map((zones) => JSON.stringify({ zones }));
    const text = fc.oneof(lhm, wmi, fc.string({ maxLength: 200 }), fc.json());
    fc.assert(
      fc.property(text, (output) => {
        for (const parse of [parseLhmOutput, parseWmiThermalZones]) {
          let sensors: { celsius: number }[] = [];
          try {
            sensors = parse(output);
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
          }
          for (const sensor of sensors) expect(isPlausibleCelsius(sensor.celsius)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reads any /sys tree into believable temperatures only', () => {
    const content = fc.oneof(
      fc.integer({ min: -300_000, max: 300_000 }).map(String),
      fc.string({ maxLength: 12 }),
      fc.double().map(String),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(content, content), { maxLength: 6 }), (values) => {
        const root = tempDir('sys-fuzz');
        values.forEach(([hwmon, zone], n) => {
          const chip = path.join(root, `sys/class/hwmon/hwmon${n}`);
          fs.mkdirSync(chip, { recursive: true });
          fs.writeFileSync(path.join(chip, 'name'), n % 2 ? 'coretemp' : 'acpitz');
          fs.writeFileSync(path.join(chip, 'temp1_input'), hwmon);
          const thermal = path.join(root, `sys/class/thermal/thermal_zone${n}`);
          fs.mkdirSync(thermal, { recursive: true });
          fs.writeFileSync(path.join(thermal, 'type'), 'x86_pkg_temp');
          fs.writeFileSync(path.join(thermal, 'temp'), zone);
        });
        const reading = readLinuxTemperatures(root);
        for (const sensor of reading.sensors) expect(isPlausibleCelsius(sensor.celsius)).toBe(true);
        if (reading.celsius !== undefined) expect(isPlausibleCelsius(reading.celsius)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
