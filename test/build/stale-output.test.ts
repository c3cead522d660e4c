// The agent build refuses to publish an executable that another build made: one that does not
// carry this build's marker, or that reports another version when run. Real files and real
// executables (small shell programs standing in for the agent's `version --json`).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTarget } from '../../scripts/agent/node-dist.mjs';
import {
  checkReportedVersion,
  refuseForeignBundle,
  StaleOutputError,
} from '../../scripts/agent/verify.mjs';
import { tempDir } from '../support/server';

const THIS_BUILD = 'optralis-agent 1.2.0 build 0123456789abcdef01234567';
const EARLIER_BUILD = 'optralis-agent 1.2.0 build fedcba9876543210fedcba98';

/** A stand-in executable of this machine that prints what `optralis-agent version --json` would. */
function agentPrinting(dir: string, printed: string): string {
  const file = path.join(dir, 'optralis-agent-linux-amd64-v1.2.0');
  fs.writeFileSync(
    file,
    `#!/bin/sh\n[ "$1 $2" = "version --json" ] || exit 2\necho '${printed}'\n`,
  );
  fs.chmodSync(file, 0o755);
  return file;
}

describe('stale build output', () => {
  it("publishes an executable that carries this build's bundle", () => {
    const file = path.join(tempDir('fresh'), 'optralis-agent-v1.2.0.exe');
    fs.writeFileSync(file, Buffer.concat([Buffer.alloc(4096), Buffer.from(`/* ${THIS_BUILD} */`)]));
    expect(() => refuseForeignBundle(file, THIS_BUILD)).not.toThrow();
  });

  it("refuses an executable that carries another build's bundle of the same version", () => {
    const file = path.join(tempDir('stale'), 'optralis-agent-v1.2.0.exe');
    fs.writeFileSync(
      file,
      Buffer.concat([Buffer.alloc(4096), Buffer.from(`/* ${EARLIER_BUILD} */`)]),
    );
    expect(() => refuseForeignBundle(file, THIS_BUILD)).toThrow(StaleOutputError);
    expect(() => refuseForeignBundle(file, THIS_BUILD)).toThrow(
      `optralis-agent-v1.2.0.exe does not carry this build's bundle (${THIS_BUILD}); ` +
        'refusing stale output',
    );
  });

  it('refuses an executable that reports another version when it runs', () => {
    const target = hostTarget();
    expect(target).toBe('linux-amd64');
    const file = agentPrinting(tempDir('old-version'), '{"version":"1.1.9","arch":"amd64"}');
    expect(() => checkReportedVersion('linux-amd64', file, '1.2.0')).toThrow(
      'optralis-agent-linux-amd64-v1.2.0 reports version 1.1.9, not 1.2.0; refusing stale output',
    );
  });

  it('refuses an executable whose version answer is not JSON', () => {
    const file = agentPrinting(tempDir('garbled'), 'optralis-agent 1.2.0');
    expect(() => checkReportedVersion('linux-amd64', file, '1.2.0')).toThrow(
      'optralis-agent-linux-amd64-v1.2.0 did not print its version as JSON',
    );
  });

  it('accepts the version being built, and skips what this machine cannot run', () => {
    const file = agentPrinting(tempDir('right'), '{"version":"1.2.0","arch":"amd64"}');
    expect(checkReportedVersion('linux-amd64', file, '1.2.0')).toBe(true);
    expect(checkReportedVersion('windows-amd64', file, '9.9.9')).toBe(false);
  });
});
