import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoBuildTarget, linuxBuildState } from '../../scripts/agent/demo-build.mjs';
import { tempDir } from '../support/server';

/** A downloads directory whose stable channel holds `files` and names `entries`. */
function downloads(entries: Record<string, { filename: string; size: number }>, files: string[]) {
  const dir = tempDir('downloads');
  const stable = path.join(dir, 'stable');
  fs.mkdirSync(stable);
  const architectures: Record<string, unknown> = {};
  for (const [arch, entry] of Object.entries(entries)) {
    architectures[arch] = {
      filename: entry.filename,
      checksum_sha256: '0'.repeat(64),
      file_size_bytes: entry.size,
    };
  }
  const metadata = { version: '1.0.0', channel: 'stable', platform: 'linux', architectures };
  fs.writeFileSync(path.join(stable, 'metadata-linux.json'), JSON.stringify(metadata));
  for (const name of files) fs.writeFileSync(path.join(stable, name), 'x'.repeat(10));
  return dir;
}

const amd64 = { filename: 'optralis-agent-linux-amd64-v1.0.0', size: 10 };
const arm64 = { filename: 'optralis-agent-linux-arm64-v1.0.0', size: 10 };

describe('npm run demo builds the agent for this machine when the downloads lack it', () => {
  it('builds on a fresh clone, whose downloads directory is empty or absent', () => {
    expect(demoBuildTarget(tempDir('downloads'), 'linux-amd64')).toBe('linux-amd64');
    expect(demoBuildTarget(path.join(tempDir('downloads'), 'none'), 'linux-arm64')).toBe(
      'linux-arm64',
    );
  });

  it('builds when only the other architecture is there', () => {
    const dir = downloads({ arm64 }, [arm64.filename]);
    expect(linuxBuildState(dir, 'arm64')).toBe('complete');
    expect(demoBuildTarget(dir, 'linux-amd64')).toBe('linux-amd64');
    expect(demoBuildTarget(dir, 'linux-arm64')).toBeUndefined();
  });

  it('builds again when the named file is missing or cut short', () => {
    expect(linuxBuildState(downloads({ amd64 }, []), 'amd64')).toBe('incomplete');
    const short = downloads({ amd64: { ...amd64, size: 11 } }, [amd64.filename]);
    expect(linuxBuildState(short, 'amd64')).toBe('incomplete');
    expect(demoBuildTarget(short, 'linux-amd64')).toBe('linux-amd64');
  });

  it('starts at once when the build for this machine is complete', () => {
    const dir = downloads({ amd64, arm64 }, [amd64.filename, arm64.filename]);
    expect(demoBuildTarget(dir, 'linux-amd64')).toBeUndefined();
  });

  it('never follows a file name out of the channel directory', () => {
    const dir = downloads({ amd64: { filename: '../metadata-linux.json', size: 10 } }, []);
    expect(linuxBuildState(dir, 'amd64')).toBe('missing');
  });

  it('builds nothing on a machine that is not Linux', () => {
    expect(demoBuildTarget(tempDir('downloads'), 'windows-amd64')).toBeUndefined();
    expect(demoBuildTarget(tempDir('downloads'), undefined)).toBeUndefined();
  });
});
