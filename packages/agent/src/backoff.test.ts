import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

const BASE = 10_000;
const CAP = 5 * 60_000;
const at = (failures: number, random: number) =>
  backoffDelay(failures, { baseMs: BASE, capMs: CAP, random: () => random });

describe('the delay before the next attempt', () => {
  it('doubles its ceiling with each failure from the interval', () => {
    expect([1, 2, 3, 4, 5].map((failures) => at(failures, 0.999_999))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000,
    ]);
  });

  it('never waits more than five minutes, however long the server is away', () => {
    expect(at(6, 0.999_999)).toBe(CAP);
    expect(at(50, 0.999_999)).toBe(CAP);
    expect(at(10_000, 0.999_999)).toBe(CAP);
  });

  it('is jittered over the whole range, but never below half the interval', () => {
    expect(at(4, 0.5)).toBe(40_000);
    expect(at(4, 0.25)).toBe(20_000);
    expect(at(4, 0)).toBe(BASE / 2);
    expect(at(1, 0.1)).toBe(BASE / 2);
  });

  it('stays within half the interval and the capped ceiling for any failure count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failures, random) => {
          const delay = at(failures, random);
          const ceiling = Math.min(CAP, BASE * 2 ** (failures - 1));
          expect(delay).toBeGreaterThanOrEqual(BASE / 2);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it('spreads a fleet: different draws give different delays', () => {
    const draws = [0.1, 0.3, 0.5, 0.7, 0.9].map((random) => at(8, random));
    expect(new Set(draws).size).toBe(draws.length);
  });
});
