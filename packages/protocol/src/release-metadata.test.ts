import { describe, expect, it } from 'vitest';
import {
  parseLinuxReleaseMetadata,
  parseWindowsReleaseMetadata,
  ReleaseMetadataError,
} from './release-metadata';

const HASH = 'AB'.repeat(32);

const windows = {
  version: '1.0.0',
  channel: 'stable',
  platform: 'windows',
  architecture: 'amd64',
  filename: 'optralis-agent-v1.0.0.exe',
  checksum_sha256: HASH,
  file_size_bytes: 26_000_000,
  build_time: '2025-12-17T10:30:00Z',
};

const linux = {
  version: '1.0.0',
  channel: 'beta',
  platform: 'linux',
  architectures: {
    amd64: {
      filename: 'optralis-agent-linux-amd64-v1.0.0',
      checksum_sha256: HASH,
      file_size_bytes: 15_000_000,
    },
  },
  build_time: '2025-12-17T10:30:00Z',
};

const utf8 = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function failure(read: () => unknown): ReleaseMetadataError {
  try {
    read();
  } catch (error) {
    if (error instanceof ReleaseMetadataError) return error;
    throw error;
  }
  throw new Error('expected the metadata to be refused');
}

describe('release metadata files', () => {
  it('reads the specification example and keeps SHA-256 in lower case', () => {
    const read = parseWindowsReleaseMetadata(utf8(windows), 'metadata-windows.json');
    expect(read).toEqual({ ...windows, checksum_sha256: 'ab'.repeat(32) });
    const linuxRead = parseLinuxReleaseMetadata(utf8(linux), 'metadata-linux.json');
    expect(linuxRead.architectures.amd64?.checksum_sha256).toBe('ab'.repeat(32));
  });

  it('accepts a UTF-8 byte order mark, as PowerShell writes it', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(windows)]);
    expect(parseWindowsReleaseMetadata(bytes, 'metadata-windows.json').version).toBe('1.0.0');
  });

  it('refuses UTF-16, with or without a byte order mark, naming the file', () => {
    const text = JSON.stringify(windows);
    const le = new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]);
    const bare = new Uint8Array(Buffer.from(text, 'utf16le'));
    for (const bytes of [le, bare]) {
      const error = failure(() =>
        parseWindowsReleaseMetadata(bytes, 'stable/metadata-windows.json'),
      );
      expect(error.problem).toBe('utf16');
      expect(error.message).toBe(
        'stable/metadata-windows.json: is UTF-16; write it as UTF-8 without a BOM',
      );
    }
  });

  it('refuses broken JSON and wrong fields, naming the file and the field', () => {
    const broken = failure(() =>
      parseLinuxReleaseMetadata(
        new TextEncoder().encode('{"version": '),
        'beta/metadata-linux.json',
      ),
    );
    expect(broken.problem).toBe('bad_json');
    expect(broken.message).toMatch(/^beta\/metadata-linux\.json: is not valid JSON/);

    const cases: [Record<string, unknown>, string][] = [
      [{ ...windows, version: '1.0' }, 'version: must be a semantic version'],
      [{ ...windows, channel: 'nightly' }, 'channel:'],
      [{ ...windows, checksum_sha256: 'abc' }, 'checksum_sha256: must be 64 hexadecimal digits'],
      [{ ...windows, filename: '../evil.exe' }, 'filename: must be a plain file name'],
      [{ ...windows, file_size_bytes: -1 }, 'file_size_bytes:'],
      [{ ...windows, build_time: 'yesterday' }, 'build_time:'],
    ];
    for (const [value, message] of cases) {
      const error = failure(() => parseWindowsReleaseMetadata(utf8(value), 'm.json'));
      expect(error.problem).toBe('invalid');
      expect(error.message).toContain(`m.json: ${message}`);
    }
    const empty = failure(() =>
      parseLinuxReleaseMetadata(utf8({ ...linux, architectures: {} }), 'metadata-linux.json'),
    );
    expect(empty.message).toContain('must list at least one architecture');
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]);
    expect(failure(() => parseWindowsReleaseMetadata(bytes, 'm.json')).problem).toBe('not_utf8');
  });
});
