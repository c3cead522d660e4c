// What a build leaves in the downloads directory: where it goes by default, the precompressed
// .gz the server sends, and how metadata-linux.json keeps the other architecture when one is
// rebuilt.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseLinuxReleaseMetadata } from '@optralis/protocol';
import { describe, expect, it } from 'vitest';
import { chooseRepresentation } from '../../packages/server/src/downloads/files';
import {
  type BuiltEntry,
  entryStillPresent,
  isoSeconds,
  type LinuxMetadata,
  linuxMetadata,
  mergeLinuxMetadata,
  outputName,
  readJsonIfPresent,
  sha256File,
  writeGzipSibling,
  writeJson,
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

/** Bytes like an executable's: long compressible runs with incompressible parts between. */
function executableLike(mebibytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < mebibytes * 4; i += 1) {
    parts.push(Buffer.alloc(192 * 1024, `section ${i} `), crypto.randomBytes(64 * 1024));
  }
  return Buffer.concat(parts);
}

describe('the precompressed .gz beside each executable', () => {
  // Larger than the 1 MiB read size, so that the file is compressed in several chunks.
  const original = executableLike(3);

  it('inflates back to the same bytes and reports its own size', async () => {
    const dir = tempDir('gzip');
    const file = path.join(dir, AMD64);
    fs.writeFileSync(file, original);

    const bytes = await writeGzipSibling(file, 9);

    const compressed = fs.readFileSync(`${file}.gz`);
    expect(bytes).toBe(compressed.length);
    expect(zlib.gunzipSync(compressed).equals(original)).toBe(true);
    expect(bytes).toBeLessThan(original.length / 2);
    // RFC 1952: XFL is 2 when the compressor used its slowest, best level.
    expect(compressed[8]).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual([AMD64, `${AMD64}.gz`]);
  });

  it('is compressed at the level asked for', async () => {
    const file = path.join(tempDir('gzip-fast'), AMD64);
    fs.writeFileSync(file, original);
    const fast = await writeGzipSibling(file, 1);
    const compressed = fs.readFileSync(`${file}.gz`);
    // XFL 4: the fastest level.
    expect(compressed[8]).toBe(4);
    expect(zlib.gunzipSync(compressed).equals(original)).toBe(true);
    expect(fast).toBeGreaterThan(await writeGzipSibling(file, 9));
  });

  it('replaces an earlier .gz and is new enough for the server to send it', async () => {
    const downloads = tempDir('gzip-served');
    const dir = path.join(downloads, 'stable');
    fs.mkdirSync(dir);
    const file = path.join(dir, AMD64);
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync('an earlier build'));
    fs.writeFileSync(file, original);

    await writeGzipSibling(file, 9);

    const gzip = fs.statSync(`${file}.gz`);
    expect(gzip.mtimeMs).toBeGreaterThanOrEqual(fs.statSync(file).mtimeMs);
    expect(zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).equals(original)).toBe(true);
    const chosen = chooseRepresentation(downloads, 'stable', AMD64, {
      'accept-encoding': 'gzip, deflate',
    });
    expect(chosen).toEqual({ root: dir, name: `${AMD64}.gz`, encoding: 'gzip' });
  });
});

describe('metadata-linux.json of a build of both Linux architectures', () => {
  async function built(dir: string, target: string, size: number): Promise<BuiltEntry> {
    const filename = outputName(target, '1.3.0');
    const file = path.join(dir, filename);
    fs.writeFileSync(file, crypto.randomBytes(size));
    return { target, filename, file, bytes: size, sha256: await sha256File(file) };
  }

  it("lists amd64 and arm64 with their real sizes and hashes, in the specification's form", async () => {
    const dir = tempDir('both-linux');
    const amd64 = await built(dir, 'linux-amd64', 300_000);
    const arm64 = await built(dir, 'linux-arm64', 280_001);
    const windows = await built(dir, 'windows-amd64', 310_000);
    const buildTime = isoSeconds(new Date(Date.UTC(2026, 2, 2, 10, 30, 0, 750)));

    const next = linuxMetadata({
      version: '1.3.0',
      channel: 'beta',
      buildTime,
      built: [amd64, arm64, windows],
    });
    const file = path.join(dir, 'metadata-linux.json');
    writeJson(file, mergeLinuxMetadata(readJsonIfPresent(file), next, entryStillPresent(dir)));

    const bytes = fs.readFileSync(file);
    const written = JSON.parse(bytes.toString('utf8'));
    const sha256 = (name: string) =>
      crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, name)))
        .digest('hex');
    expect(written).toEqual({
      version: '1.3.0',
      channel: 'beta',
      platform: 'linux',
      architectures: {
        amd64: { filename: AMD64, checksum_sha256: sha256(AMD64), file_size_bytes: 300_000 },
        arm64: { filename: ARM64, checksum_sha256: sha256(ARM64), file_size_bytes: 280_001 },
      },
      build_time: '2026-03-02T10:30:00Z',
    });
    expect(Object.keys(written)).toEqual([
      'version',
      'channel',
      'platform',
      'architectures',
      'build_time',
    ]);
    expect(Object.keys(written.architectures.arm64)).toEqual([
      'filename',
      'checksum_sha256',
      'file_size_bytes',
    ]);
    expect(written.architectures.amd64.checksum_sha256).toMatch(/^[0-9a-f]{64}$/);
    // UTF-8 without a byte order mark, ending in a newline.
    expect(bytes.subarray(0, 2).toString('utf8')).toBe('{\n');
    expect(bytes.at(-1)).toBe(0x0a);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    expect(parseLinuxReleaseMetadata(bytes, file)).toEqual(written);
  });
});

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
