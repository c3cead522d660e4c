import crypto from 'node:crypto';
import semver from 'semver';

/** What the offer rules need to know about a machine, from its heartbeat and its row. */
export interface OfferMachine {
  id: string;
  channel: string;
  platform: string;
  architecture: string;
  /** The version the running agent reports. */
  version: string;
}

/** What the offer rules need to know about a release. */
export interface OfferRelease {
  version: string;
  channel: string;
  platform: string;
  architecture: string;
  is_active: number;
  rollout_percent: number;
  rollout_paused: number;
}

/**
 * The rollout bucket of a machine for a release, 0 to 99: the first four bytes of
 * SHA-256(version ":" machine id). A release at p % reaches the machines whose bucket is below
 * p, so raising p only adds machines, and each release draws a different first 10 %.
 */
export function rolloutBucket(machineId: string, version: string): number {
  const digest = crypto.createHash('sha256').update(`${version}:${machineId}`).digest();
  return digest.readUInt32BE(0) % 100;
}

function reaches(release: OfferRelease, machineId: string): boolean {
  if (release.rollout_paused === 1) return false;
  if (release.rollout_percent >= 100) return true;
  return rolloutBucket(machineId, release.version) < release.rollout_percent;
}

/**
 * The release to offer a machine, or undefined. Only an active release of the machine's own
 * channel, platform and architecture, strictly greater by semver than what it runs (pre-releases
 * ordered as SemVer says, build metadata ignored), never above the client's pin, and only when
 * the release's rollout reaches the machine. Of those, the greatest. A machine whose version is
 * not semver is offered nothing: nothing can be shown to be an upgrade of it.
 */
export function chooseOffer<R extends OfferRelease>(
  machine: OfferMachine,
  releases: readonly R[],
  pin: string | null,
): R | undefined {
  // Parsed only once a release of the machine's kind is found: most heartbeats have none.
  let current: string | null | undefined;
  let best: R | undefined;
  for (const release of releases) {
    if (release.is_active !== 1) continue;
    if (release.channel !== machine.channel) continue;
    if (release.platform !== machine.platform) continue;
    if (release.architecture !== machine.architecture) continue;
    if (current === undefined) current = semver.valid(machine.version);
    if (current === null) return undefined;
    if (!semver.valid(release.version) || !semver.gt(release.version, current)) continue;
    if (pin !== null && semver.gt(release.version, pin)) continue;
    if (!reaches(release, machine.id)) continue;
    if (!best || semver.gt(release.version, best.version)) best = release;
  }
  return best;
}

/** The greatest active, fully rolled-out release of a target: what new installs get. */
export function latestRelease<R extends OfferRelease>(
  releases: readonly R[],
  target: { channel: string; platform: string; architecture: string },
): R | undefined {
  let best: R | undefined;
  for (const release of releases) {
    if (release.is_active !== 1 || release.rollout_paused === 1) continue;
    if (release.rollout_percent < 100) continue;
    if (release.channel !== target.channel || release.platform !== target.platform) continue;
    if (release.architecture !== target.architecture) continue;
    if (!best || semver.gt(release.version, best.version)) best = release;
  }
  return best;
}
