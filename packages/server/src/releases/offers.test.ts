import { describe, expect, it } from 'vitest';
import { chooseOffer, latestRelease, type OfferRelease, rolloutBucket } from './offers';

function release(version: string, overrides: Partial<OfferRelease> = {}): OfferRelease {
  return {
    version,
    channel: 'stable',
    platform: 'linux',
    architecture: 'amd64',
    is_active: 1,
    rollout_percent: 100,
    rollout_paused: 0,
    ...overrides,
  };
}

const machine = (version: string, channel = 'stable', id = 'M1') => ({
  id,
  channel,
  platform: 'linux',
  architecture: 'amd64',
  version,
});

/** Ids whose bucket for `version` is below / at or above `percent`. */
function idsAround(version: string, percent: number) {
  const ids = Array.from({ length: 400 }, (_, i) => `01JMACHINE${String(i).padStart(16, '0')}`);
  return {
    inside: ids.find((id) => rolloutBucket(id, version) < percent) as string,
    outside: ids.find((id) => rolloutBucket(id, version) >= percent) as string,
  };
}

describe('which release a heartbeat offers', () => {
  const table: [string, string, OfferRelease[], string | null, string | undefined][] = [
    ['a greater version by semver, not by text', '1.9.0', [release('1.10.0')], null, '1.10.0'],
    ['nothing when the release is lower', '1.10.0', [release('1.9.0')], null, undefined],
    ['nothing when the release is the same version', '1.2.0', [release('1.2.0')], null, undefined],
    [
      'nothing for a different build of the same version',
      '1.2.0',
      [release('1.2.0+2')],
      null,
      undefined,
    ],
    [
      'the greatest of several',
      '1.0.0',
      [release('1.1.0'), release('1.3.0'), release('1.2.0')],
      null,
      '1.3.0',
    ],
    [
      'a later pre-release of the same version',
      '1.1.0-beta.1',
      [release('1.1.0-beta.2')],
      null,
      '1.1.0-beta.2',
    ],
    [
      'numeric pre-release parts compared as numbers',
      '1.1.0-beta.2',
      [release('1.1.0-beta.11')],
      null,
      '1.1.0-beta.11',
    ],
    ['the release after its pre-releases', '1.1.0-rc.1', [release('1.1.0')], null, '1.1.0'],
    [
      'never a pre-release of a version already run',
      '1.1.0',
      [release('1.1.0-rc.1')],
      null,
      undefined,
    ],
    ['a pre-release of a later version', '1.1.0', [release('1.2.0-beta.1')], null, '1.2.0-beta.1'],
    [
      'nothing from another channel',
      '1.0.0',
      [release('1.1.0', { channel: 'beta' })],
      null,
      undefined,
    ],
    [
      'nothing for another platform',
      '1.0.0',
      [release('1.1.0', { platform: 'windows' })],
      null,
      undefined,
    ],
    [
      'nothing for another architecture',
      '1.0.0',
      [release('1.1.0', { architecture: 'arm64' })],
      null,
      undefined,
    ],
    ['nothing inactive', '1.0.0', [release('1.1.0', { is_active: 0 })], null, undefined],
    [
      'nothing paused, even at 100 %',
      '1.0.0',
      [release('1.1.0', { rollout_paused: 1 })],
      null,
      undefined,
    ],
    ['nothing at 0 %', '1.0.0', [release('1.1.0', { rollout_percent: 0 })], null, undefined],
    ['nothing to a version that is not semver', 'dev-build', [release('1.1.0')], null, undefined],
    ['up to the pin', '1.0.0', [release('1.1.0'), release('1.2.0')], '1.1.0', '1.1.0'],
    ['nothing above the pin', '1.1.0', [release('1.2.0')], '1.1.0', undefined],
    [
      'never a downgrade to a lower pin',
      '1.2.0',
      [release('1.1.0'), release('1.0.0')],
      '1.1.0',
      undefined,
    ],
    [
      'a pin on a pre-release allows it',
      '1.0.0',
      [release('1.1.0-rc.1'), release('1.1.0')],
      '1.1.0-rc.1',
      '1.1.0-rc.1',
    ],
  ];

  it.each(table)('%s (%s)', (_name, running, releases, pin, expected) => {
    expect(chooseOffer(machine(running), releases, pin)?.version).toBe(expected);
  });

  it('a beta machine moved to stable is not offered a lower stable version, then is', () => {
    const releases = [release('1.1.0'), release('1.2.0-beta.3', { channel: 'beta' })];
    expect(chooseOffer(machine('1.2.0-beta.3', 'beta'), releases, null)).toBeUndefined();
    expect(chooseOffer(machine('1.2.0-beta.3', 'stable'), releases, null)).toBeUndefined();
    const later = [...releases, release('1.2.0')];
    expect(chooseOffer(machine('1.2.0-beta.3', 'stable'), later, null)?.version).toBe('1.2.0');
  });

  it('a staged release reaches the machines of its percentage, the others get the previous', () => {
    const { inside, outside } = idsAround('1.2.0', 10);
    const releases = [release('1.1.0'), release('1.2.0', { rollout_percent: 10 })];
    expect(chooseOffer(machine('1.0.0', 'stable', inside), releases, null)?.version).toBe('1.2.0');
    expect(chooseOffer(machine('1.0.0', 'stable', outside), releases, null)?.version).toBe('1.1.0');
    expect(chooseOffer(machine('1.1.0', 'stable', outside), releases, null)).toBeUndefined();
    const paused = [release('1.1.0'), release('1.2.0', { rollout_percent: 10, rollout_paused: 1 })];
    expect(chooseOffer(machine('1.0.0', 'stable', inside), paused, null)?.version).toBe('1.1.0');
    expect(chooseOffer(machine('1.1.0', 'stable', inside), paused, null)).toBeUndefined();
  });

  it('buckets are stable per machine and release, spread evenly, and only grow with the share', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `machine-${i}`);
    expect(rolloutBucket('machine-1', '1.2.0')).toBe(rolloutBucket('machine-1', '1.2.0'));
    const at = (percent: number) =>
      new Set(
        ids.filter((id) =>
          chooseOffer(
            machine('1.0.0', 'stable', id),
            [release('1.2.0', { rollout_percent: percent })],
            null,
          ),
        ),
      );
    const ten = at(10);
    const twenty = at(20);
    expect(ten.size).toBeGreaterThan(800);
    expect(ten.size).toBeLessThan(1200);
    expect([...ten].every((id) => twenty.has(id))).toBe(true);
    expect(at(100).size).toBe(ids.length);
    // Another release draws another first 10 %.
    const other = ids.filter((id) => rolloutBucket(id, '1.3.0') < 10);
    expect(other.filter((id) => ten.has(id)).length).toBeLessThan(ten.size / 2);
  });

  it('installers get the greatest active release that is fully rolled out', () => {
    const target = { channel: 'stable', platform: 'linux', architecture: 'amd64' };
    const releases = [
      release('1.9.0'),
      release('1.10.0'),
      release('1.11.0', { rollout_percent: 50 }),
      release('1.12.0', { is_active: 0 }),
      release('2.0.0', { channel: 'beta' }),
    ];
    expect(latestRelease(releases, target)?.version).toBe('1.10.0');
    expect(latestRelease(releases, { ...target, channel: 'beta' })?.version).toBe('2.0.0');
    expect(latestRelease(releases, { ...target, architecture: 'arm64' })).toBeUndefined();
  });
});
