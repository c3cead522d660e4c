import { describe, expect, it } from 'vitest';
import { formatBytes, formatRelative, formatRemaining } from './format';

describe('formatting', () => {
  it('shows sizes in powers of 1024 with the language’s units', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(26_000_000, 'en')).toBe('24.8 MB');
    expect(formatBytes(26_000_000, 'fr')).toBe('24,8 Mo');
    expect(formatBytes(2 ** 40 * 3, 'en')).toBe('3 TB');
  });

  it('counts a token’s time left down to the second, then stops', () => {
    expect(formatRemaining(15 * 60_000)).toBe('15:00');
    expect(formatRemaining(14 * 60_000 + 59_001)).toBe('15:00');
    expect(formatRemaining(59_000)).toBe('00:59');
    expect(formatRemaining(1)).toBe('00:01');
    expect(formatRemaining(24 * 3600_000)).toBe('24:00:00');
    expect(formatRemaining(0)).toBeUndefined();
    expect(formatRemaining(-5)).toBeUndefined();
    expect(formatRemaining(Number.NaN)).toBeUndefined();
  });

  it('says how long ago a machine was seen', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(formatRelative('2026-05-01T11:59:30Z', now, 'en')).toBe('30 seconds ago');
    expect(formatRelative('2026-05-01T11:57:00Z', now, 'en')).toBe('3 minutes ago');
    expect(formatRelative('2026-05-01T10:00:00Z', now, 'fr')).toBe('il y a 2 heures');
    expect(formatRelative('2026-04-30T12:00:00Z', now, 'en')).toBe('yesterday');
  });
});
