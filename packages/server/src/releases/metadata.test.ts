import fs from 'node:fs';
import path from 'node:path';
import {
  parseLinuxReleaseMetadata,
  parseWindowsReleaseMetadata,
  ReleaseMetadataError,
} from '@optralis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { readDownloads } from './metadata';

const NUMBER = fc.integer({ min: 0, max: 999 }).map(String);
const version = fc
  .tuple(
    NUMBER,
    NUMBER,
    NUMBER,
    fc.option(fc.constantFrom('beta.1', 'rc.2', 'alpha'), { nil: undefined }),
  )
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
const hex = fc.stringMatching(/^[0-9a-fA-F]{64}$/);
const filename = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,40}$/);
const size = fc.integer({ min: 1, max: 2 ** 40 });
const time = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => `${new Date(ms).toISOString().slice(0, 19)}Z`);
const channel = fc.constantFrom('stable', 'beta');

const windowsMetadata = fc.record({
  version,
  channel,
  platform: fc.constant('windows'),
  architecture: fc.constantFrom('amd64', 'arm64'),
  filename,
  checksum_sha256: hex,
  file_size_bytes: size,
  build_time: time,
});
const archFile = fc.record({ filename, checksum_sha256: hex, file_size_bytes: size });
const linuxMetadata = fc.record({
  version,
  channel,
  platform: fc.constant('linux'),
  architectures: fc
    .record({ amd64: archFile, arm64: archFile }, { requiredKeys: [] })
    .filter((value) => Object.keys(value).length > 0),
  build_time: time,
});

const BOM = [0xef, 0xbb, 0xbf];
const encode = (value: unknown, bom: boolean) =>
  new Uint8Array([...(bom ? BOM : []), ...Buffer.from(JSON.stringify(value))]);

describe('release metadata parsers, over generated files', () => {
  it('read back every valid Windows file, with or without a BOM, SHA-256 in lower case', () => {
    fc.assert(
      fc.property(windowsMetadata, fc.boolean(), (metadata, bom) => {
        const read = parseWindowsReleaseMetadata(encode(metadata, bom), 'w.json');
        expect(read).toEqual({
          ...metadata,
          checksum_sha256: metadata.checksum_sha256.toLowerCase(),
        });
      }),
    );
  });

  it('read back every valid Linux file, each architecture with a lower-case SHA-256', () => {
    fc.assert(
      fc.property(linuxMetadata, fc.boolean(), (metadata, bom) => {
        const read = parseLinuxReleaseMetadata(encode(metadata, bom), 'l.json');
        for (const [arch, file] of Object.entries(metadata.architectures)) {
          expect(read.architectures[arch as 'amd64']).toEqual({
            ...file,
            checksum_sha256: file.checksum_sha256.toLowerCase(),
          });
        }
      }),
    );
  });

  it('refuse every UTF-16 file as UTF-16, naming it', () => {
    fc.assert(
      fc.property(windowsMetadata, fc.boolean(), (metadata, bom) => {
        const body = Buffer.from(JSON.stringify(metadata), 'utf16le');
        const bytes = new Uint8Array([...(bom ? [0xff, 0xfe] : []), ...body]);
        expect(() => parseWindowsReleaseMetadata(bytes, 'stable/m.json')).toThrow(
          /^stable\/m\.json: is UTF-16/,
        );
      }),
    );
  });

  it('answer any bytes with a result or an error naming the file, never anything else', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string().map((text) => new Uint8Array(Buffer.from(text))),
      windowsMetadata.chain((metadata) =>
        fc.nat({ max: 200 }).map((cut) => encode(metadata, false).subarray(0, cut)),
      ),
    );
    fc.assert(
      fc.property(bytes, fc.boolean(), (input, linux) => {
        try {
          (linux ? parseLinuxReleaseMetadata : parseWindowsReleaseMetadata)(input, 'x.json');
        } catch (error) {
          expect(error).toBeInstanceOf(ReleaseMetadataError);
          expect((error as Error).message.startsWith('x.json: ')).toBe(true);
        }
      }),
    );
  });
});

describe('the downloads directory reader', () => {
  it('lists every good file and names every bad one, whichever files are bad', () => {
    const kinds = ['good', 'missing', 'broken', 'utf16', 'wrong'] as const;
    const files = [
      'stable/metadata-windows.json',
      'stable/metadata-linux.json',
      'beta/metadata-windows.json',
      'beta/metadata-linux.json',
    ];
    fc.assert(
      fc.property(fc.tuple(...files.map(() => fc.constantFrom(...kinds))), (choice) => {
        const dir = tempDir('downloads-prop');
        files.forEach((file, i) => {
          const [channelName, name] = file.split('/') as [string, string];
          const platform = name.includes('linux') ? 'linux' : 'windows';
          const good =
            platform === 'linux'
              ? {
                  version: '1.0.0',
                  channel: channelName,
                  platform,
                  architectures: {
                    amd64: { filename: 'a', checksum_sha256: 'A'.repeat(64), file_size_bytes: 1 },
                  },
                  build_time: '2025-01-01T00:00:00Z',
                }
              : {
                  version: '1.0.0',
                  channel: channelName,
                  platform,
                  architecture: 'amd64',
                  filename: 'w.exe',
                  checksum_sha256: 'b'.repeat(64),
                  file_size_bytes: 2,
                  build_time: '2025-01-01T00:00:00Z',
                };
          fs.mkdirSync(path.join(dir, channelName), { recursive: true });
          const target = path.join(dir, file);
          if (choice[i] === 'good') fs.writeFileSync(target, JSON.stringify(good));
          if (choice[i] === 'broken') fs.writeFileSync(target, '{"version":');
          if (choice[i] === 'utf16')
            fs.writeFileSync(target, Buffer.from(JSON.stringify(good), 'utf16le'));
          if (choice[i] === 'wrong')
            fs.writeFileSync(target, JSON.stringify({ ...good, version: 'one' }));
        });
        const listing = readDownloads(dir);
        const expectGood = files.filter((_, i) => choice[i] === 'good');
        const expectBad = files.filter(
          (_, i) => !['good', 'missing'].includes(choice[i] as string),
        );
        expect(listing.files.map((file) => file.source)).toEqual(expectGood);
        expect(listing.errors.map((error) => error.file)).toEqual(expectBad);
        for (const error of listing.errors)
          expect(error.message.startsWith(`${error.file}: `)).toBe(true);
        fs.rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 60 },
    );
  });
});
