// Checks that an executable the build is about to publish is the one this build made: it carries
// this build's bundle (a marker made fresh for every build), and where this machine can run it,
// it reports the version being built. Output left over from another build fails either check.
import fs from 'node:fs';
import path from 'node:path';
import { hostTarget } from './node-dist.mjs';
import { carriesBuild, hasCommand, run } from './sea.mjs';

/** An output that is not this build's: the build stops and publishes nothing. */
export class StaleOutputError extends Error {}

export function refuseForeignBundle(file, marker) {
  if (carriesBuild(file, marker)) return;
  throw new StaleOutputError(
    `${path.basename(file)} does not carry this build's bundle (${marker}); refusing stale output`,
  );
}

/** How this machine can run an executable of `target`, or undefined when it cannot. */
function runner(target, file) {
  if (target === hostTarget()) return [file];
  if (target !== 'linux-arm64' || !hasCommand('qemu-aarch64')) return undefined;
  // qemu-user runs an arm64 executable only with the arm64 C libraries beside it.
  if (!fs.existsSync('/usr/aarch64-linux-gnu')) return undefined;
  return ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu', file];
}

/**
 * Runs `version --json` where this machine can and refuses a version other than `version`.
 * Returns whether it ran (false: another platform, nothing to run it with).
 */
export function checkReportedVersion(target, file, version) {
  const command = runner(target, file);
  if (!command) return false;
  const printed = run(command[0], [...command.slice(1), 'version', '--json']);
  let reported;
  try {
    reported = JSON.parse(printed).version;
  } catch {
    throw new StaleOutputError(`${path.basename(file)} did not print its version as JSON`);
  }
  if (reported !== version) {
    throw new StaleOutputError(
      `${path.basename(file)} reports version ${reported}, not ${version}; refusing stale output`,
    );
  }
  return true;
}
