// What a build leaves in the downloads directory: where it goes by default, and how
// metadata-linux.json keeps the other architecture when one is rebuilt.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseLinuxReleaseMetadata } from '@optralis/protocol';
import { describe, expect, it } from 'vitest';
import {
  entryStillPresent,
  type LinuxMetadata,
  mergeLinuxMetadata,
  readJsonIfPresent,
} from '../../scripts/agent/outputs.mjs';
import { parseOptions } from '../../scripts/build-agent.mjs';
import { REPO_ROOT } from '../support/paths';
import { tempDir } from '../support/server';

const AMD64 = 'optralis-agent-linux-amd64-v1.3.0';
const ARM64 = 'optralis-agent-linux-arm64-v1.3.0';

function metadata(version: string, arches: Record<string, [string, number]>): LinuxMetadata {
  const architectures = Object.fromEntries(
    Object.entries(arches).map(([arch, [filename, bytes]]) => [
      arch,
      {
        filename,
        checksum_sha256: crypto.createHash('sha256').update(filename).digest('hex'),
        file_size_bytes: bytes,
      },
    ]),
  );
  return {
    version,
    channel: 'stable',
    platform: 'linux',
    architectures,
    build_time: '2026-03-02T10:00:00Z',
  };
}

describe('metadata-linux.json after building one Linux architecture', () => {
  function channelWith(files: Record<string, number>): string {
    const dir = tempDir('channel');
    for (const [name, size] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), Buffer.alloc(size, 1));
    }
    return dir;
  }

  it('keeps the other architecture of the same version, still on disk', () => {
    const dir = channelWith({ [AMD64]: 300, [ARM64]: 200 });
    const earlier = metadata('1.3.0', { amd64: [AMD64, 290], arm64: [ARM64, 200] });
    fs.writeFileSync(path.join(dir, 'metadata-linux.json'), JSON.stringify(earlier));
    const rebuilt = metadata('1.3.0', { amd64: [AMD64, 300] });

    const merged = mergeLinuxMetadata(
      readJsonIfPresent(path.join(dir, 'metadata-linux.json')),
      rebuilt,
      entryStillPresent(dir),
    );
    expect(merged.architectures).toEqual({
      amd64: rebuilt.architectures.amd64,
      arm64: earlier.architectures.arm64,
    });
    expect(merged.build_time).toBe(rebuilt.build_time);
    const file = path.join(dir, 'metadata-linux.json');
    expect(parseLinuxReleaseMetadata(Buffer.from(JSON.stringify(merged)), file)).toMatchObject({
      version: '1.3.0',
    });
  });

  it('replaces the file for another version, and drops an entry whose file is gone or changed', () => {
    const dir = channelWith({ [AMD64]: 300, [ARM64]: 150 });
    const rebuilt = metadata('1.3.0', { amd64: [AMD64, 300] });
    const older = metadata('1.2.0', { arm64: ['optralis-agent-linux-arm64-v1.2.0', 100] });
    expect(mergeLinuxMetadata(older, rebuilt, entryStillPresent(dir))).toEqual(rebuilt);

    const resized = metadata('1.3.0', { arm64: [ARM64, 200] });
    expect(mergeLinuxMetadata(resized, rebuilt, entryStillPresent(dir))).toEqual(rebuilt);
    const climbing = metadata('1.3.0', { arm64: [`../${ARM64}`, 150] });
    expect(mergeLinuxMetadata(climbing, rebuilt, entryStillPresent(dir))).toEqual(rebuilt);
    expect(mergeLinuxMetadata(undefined, rebuilt, entryStillPresent(dir))).toEqual(rebuilt);
    expect(readJsonIfPresent(path.join(dir, 'metadata-linux.json'))).toBeUndefined();
  });
});

describe('where a build goes', () => {
  it('goes to OPTRALIS_DOWNLOADS_DIR, where the server serves from', () => {
    const options = parseOptions(['-v', '1.3.0'], { OPTRALIS_DOWNLOADS_DIR: '/srv/optralis/dl' });
    expect(options.out).toBe('/srv/optralis/dl');
  });

  it('goes to deploy/downloads without it, and to --out above both', () => {
    expect(parseOptions(['-v', '1.3.0'], {}).out).toBe(path.join(REPO_ROOT, 'deploy/downloads'));
    const chosen = parseOptions(['-v', '1.3.0', '-o', '/tmp/elsewhere'], {
      OPTRALIS_DOWNLOADS_DIR: '/srv/optralis/dl',
    });
    expect(chosen.out).toBe('/tmp/elsewhere');
  });
});
