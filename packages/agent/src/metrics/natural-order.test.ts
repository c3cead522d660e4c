import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNatural } from './natural-order';

const collator = new Intl.Collator('en', { numeric: true });

/** Names like those of /sys: letters of both cases, digit runs with leading zeros, punctuation. */
const name = fc.string({
  maxLength: 12,
  unit: fc.oneof(
    fc.constantFrom('a', 'A', 'b', 'B', 'z', 'Z', '0', '1', '2', '9', '_', '-', '.', ' '),
    fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  ),
});

describe('the natural order of directory entries', () => {
  it('lists numbered entries by number, as a person reads them', () => {
    const names = ['hwmon10', 'hwmon2', 'hwmon1', 'temp10_input', 'temp9_input', 'eth0'];
    expect(names.sort(compareNatural)).toEqual([
      'eth0',
      'hwmon1',
      'hwmon2',
      'hwmon10',
      'temp9_input',
      'temp10_input',
    ]);
  });

  it('orders any printable ASCII names exactly as the English numeric collator', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(compareNatural(a, b)).toBe(collator.compare(a, b));
      }),
      { numRuns: 20_000 },
    );
  });

  it('orders other names through the collator itself', () => {
    const names = ['éclair', 'eclair', 'Zoë', 'zoe', 'a\u0000b', '1'.repeat(300)];
    for (const a of names) {
      for (const b of names) expect(compareNatural(a, b)).toBe(collator.compare(a, b));
    }
  });
});
