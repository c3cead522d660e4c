import fs from 'node:fs';
import path from 'node:path';
import {
  buildPayloadZip,
  encodePayloadBlock,
  type InstallerPayload,
} from '@optralis/protocol/installer-payload';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { AgentError } from '../errors';
import { readOwnPayload } from './index';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n';

const payloads: fc.Arbitrary<InstallerPayload> = fc.record({
  config: fc.record({
    mode: fc.constant('token' as const),
    api_url: fc.constantFrom('https://agents.example.com', 'https://127.0.0.1:8443'),
    public_url: fc.constant('https://optralis.example.com'),
    channel: fc.constantFrom('stable' as const, 'beta' as const),
    client_id: fc.stringMatching(/^[0-9A-Z]{26}$/),
    token_id: fc.stringMatching(/^[0-9A-Z]{26}$/),
    created_at: fc.constant('2026-01-01T00:00:00Z'),
  }),
  caCert: fc.constant(CA),
  token: fc.stringMatching(/^opt_[A-Za-z0-9_-]{43}$/),
});

/** An executable-like prefix: any bytes, or an `MZ` header that is not a whole PE file. */
const prefixes = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.uint8Array({ maxLength: 300 }).map((rest) => Uint8Array.from([0x4d, 0x5a, ...rest])),
);

let counter = 0;
function fileOf(bytes: Uint8Array): string {
  const dir = tempDir('payload-fuzz');
  const file = path.join(dir, `installer-${counter++}.exe`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** What the reader may do with any file: a payload, nothing, or the one coded refusal. */
function read(bytes: Uint8Array): InstallerPayload | undefined | 'damaged' {
  try {
    return readOwnPayload(fileOf(bytes));
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('payload_damaged');
    return 'damaged';
  }
}

describe('the installer payload reader, on any file', () => {
  it('finds the payload appended to any executable', () => {
    fc.assert(
      fc.property(prefixes, payloads, fc.constantFrom(1, 8), (prefix, payload, align) => {
        const block = encodePayloadBlock(buildPayloadZip(payload, new Date('2026-01-01')), align);
        const found = read(Buffer.concat([prefix, block]));
        // A prefix that happens to look like a PE header longer than the file is refused.
        if (found !== 'damaged') expect(found).toEqual(payload);
      }),
      { numRuns: 150 },
    );
  });

  it('never reads a payload cut short or altered as another payload', () => {
    fc.assert(
      fc.property(
        prefixes,
        payloads,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (prefix, payload, where, flip, cut) => {
          const block = encodePayloadBlock(buildPayloadZip(payload, new Date('2026-01-01')));
          const bytes = Buffer.concat([prefix, block]);
          const at = prefix.length + (where % block.length);
          const damaged = cut ? bytes.subarray(0, at) : Buffer.from(bytes);
          if (!cut) damaged[at] = (damaged[at] ?? 0) ^ flip;
          const found = read(damaged);
          // Nothing, a refusal, or (a change to the trailer's reserved bytes) the payload itself.
          if (found !== undefined && found !== 'damaged') expect(found).toEqual(payload);
          if (cut) expect(found === undefined || found === 'damaged').toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers noise, and well-framed blocks of junk, without any other error', () => {
    const zips = fc.oneof(
      fc.uint8Array({ maxLength: 500 }),
      // Real ZIPs with the wrong files, broken JSON, or a file far past the size limit.
      fc
        .dictionary(
          fc.constantFrom('config.json', 'ca.crt', 'token.txt', 'client.key', 'other.bin'),
          fc.oneof(
            fc.string({ maxLength: 200 }).map((text) => strToU8(text)),
            fc.constant(new Uint8Array(200_000)),
          ),
        )
        .map((files) => zipSync(files)),
    );
    fc.assert(
      fc.property(prefixes, fc.option(zips, { nil: undefined }), (prefix, zip) => {
        const bytes = zip ? Buffer.concat([prefix, encodePayloadBlock(zip)]) : Buffer.from(prefix);
        const found = read(bytes);
        if (zip) expect(found).toBe('damaged');
      }),
      { numRuns: 300 },
    );
  });
});
