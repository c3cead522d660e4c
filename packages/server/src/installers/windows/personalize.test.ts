import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  buildPayloadZip,
  encodePayloadBlock,
  type InstallerPayload,
  locatePayload,
  PAYLOAD_MARKER,
  PayloadDamagedError,
  readPayloadZip,
  readPeLayout,
} from '@optralis/protocol/installer-payload';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { syntheticPe } from '../../../../../test/support/pe';
import { tempDir } from '../../../../../test/support/server';
import { analyzeBase } from './analysis';
import { directChecksum } from './checksum';
import { crc32Combine } from './crc32-combine';
import { DeflateCache, gzipLayout } from './gzip';
import { type PersonalizedLayout, personalize } from './personalize';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function payload(token = 'a'.repeat(43)): InstallerPayload {
  return {
    config: {
      mode: 'token',
      api_url: 'https://agents.example.test:8443',
      public_url: 'https://optralis.example.test',
      channel: 'stable',
      client_id: '01JCLIENT00000000000000000',
      token_id: '01JTOKEN000000000000000000',
      expires_at: '2026-01-02T10:00:00.000Z',
      created_at: '2026-01-01T10:00:00.000Z',
    },
    caCert: CA,
    token,
  };
}

function writeBase(bytes: Buffer): string {
  const file = path.join(tempDir('base'), 'base.exe');
  fs.writeFileSync(file, bytes);
  return file;
}

function assemble(file: string, layout: PersonalizedLayout): Buffer {
  const base = fs.readFileSync(file);
  const parts = layout.segments.map((segment) =>
    segment.kind === 'bytes' ? segment.bytes : base.subarray(segment.start, segment.end),
  );
  const whole = Buffer.concat(parts);
  expect(whole.length).toBe(layout.length);
  return whole;
}

function locate(bytes: Buffer) {
  return locatePayload({
    size: bytes.length,
    read: (position, length) => bytes.subarray(position, position + length),
  });
}

async function personalized(base: Buffer, made = payload()) {
  const file = writeBase(base);
  const analysis = await analyzeBase(file);
  const zip = buildPayloadZip(made, new Date('2026-01-01T10:00:00Z'));
  return { file, analysis, zip, bytes: assemble(file, personalize(analysis, zip)) };
}

describe('personalizing an executable', () => {
  it('appends the payload to an unsigned base and reads it back exactly', async () => {
    const base = syntheticPe();
    const { bytes, zip, analysis } = await personalized(base);
    expect(analysis.signed).toBeUndefined();
    expect(bytes.subarray(0, 0x58).equals(base.subarray(0, 0x58))).toBe(true);
    expect(bytes.subarray(0x400, base.length).equals(base.subarray(0x400))).toBe(true);
    expect(Buffer.from(locate(bytes) as Uint8Array).equals(Buffer.from(zip))).toBe(true);
    expect(readPayloadZip(locate(bytes) as Uint8Array)).toEqual(payload());
    expect(analysis.sha256).toBe(crypto.createHash('sha256').update(base).digest('hex'));
  });

  it('keeps the PE checksum right, computed word by word', async () => {
    for (const certificate of [undefined, crypto.randomBytes(1501)]) {
      const { bytes } = await personalized(syntheticPe({ certificate }));
      const layout = readPeLayout(bytes);
      expect(layout?.checksum).toBe(directChecksum(bytes, layout?.checksumOffset as number));
    }
  });

  it('leaves a checksum of zero alone', async () => {
    const { bytes } = await personalized(syntheticPe({ checksum: false }));
    expect(readPeLayout(bytes)?.checksum).toBe(0);
  });

  it('puts the payload inside the certificate table of a signed base', async () => {
    const signature = crypto.randomBytes(1501);
    const base = syntheticPe({ certificate: signature });
    const { bytes, zip } = await personalized(base);
    const before = readPeLayout(base);
    const after = readPeLayout(bytes);
    const table = after?.certificateTable;
    expect(table?.offset).toBe(before?.certificateTable?.offset);
    expect(table && table.offset + table.size).toBe(bytes.length);
    expect((table?.size ?? 0) % 8).toBe(0);
    const entryLength = bytes.readUInt32LE(table?.offset as number);
    expect(entryLength).toBe(table?.size);
    // The signature bytes are untouched and still first in the entry.
    const start = (table?.offset as number) + 8;
    expect(bytes.subarray(start, start + signature.length).equals(signature)).toBe(true);
    expect(Buffer.from(locate(bytes) as Uint8Array).equals(Buffer.from(zip))).toBe(true);
  });

  it('finds the payload in a certificate table that data follows', async () => {
    const signed = syntheticPe({ certificate: crypto.randomBytes(300) });
    const trailing = crypto.randomBytes(1000);
    const { bytes, zip } = await personalized(Buffer.concat([signed, trailing]));
    expect(bytes.subarray(bytes.length - trailing.length).equals(trailing)).toBe(true);
    expect(Buffer.from(locate(bytes) as Uint8Array).equals(Buffer.from(zip))).toBe(true);
    const layout = readPeLayout(bytes);
    expect(layout?.checksum).toBe(directChecksum(bytes, layout?.checksumOffset as number));
  });

  it('is not misled by the marker text inside the base or inside the payload', async () => {
    const trap = Buffer.from(`${PAYLOAD_MARKER}${PAYLOAD_MARKER}--OPTRALIS-END--`);
    const base = syntheticPe({ sectionPrefix: trap });
    const made = payload(`${PAYLOAD_MARKER}-in-the-token`);
    const { bytes } = await personalized(base, made);
    expect(readPayloadZip(locate(bytes) as Uint8Array)).toEqual(made);

    // A stored (uncompressed) ZIP puts the marker text literally inside the block.
    const stored = zipSync({ 'note.txt': Buffer.from(PAYLOAD_MARKER.repeat(3)) }, { level: 0 });
    const block = encodePayloadBlock(stored);
    const file = Buffer.concat([base, block]);
    expect(Buffer.from(locate(file) as Uint8Array).equals(Buffer.from(stored))).toBe(true);
  });

  it('finds the last payload of a file personalized twice', async () => {
    const first = await personalized(syntheticPe());
    const second = payload('b'.repeat(43));
    const again = await personalized(first.bytes, second);
    expect(readPayloadZip(locate(again.bytes) as Uint8Array)).toEqual(second);
  });

  it('says a file without payload has none', () => {
    expect(locate(syntheticPe())).toBeUndefined();
    expect(locate(syntheticPe({ certificate: crypto.randomBytes(100) }))).toBeUndefined();
    expect(locate(crypto.randomBytes(5000))).toBeUndefined();
  });

  it.each([
    ['unsigned', undefined],
    ['signed', crypto.randomBytes(777)],
  ])('reports every truncation of a personalized %s file as damaged', async (_kind, signature) => {
    const base = syntheticPe({ certificate: signature, sectionBytes: 0x600 });
    const { bytes } = await personalized(base);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const short = bytes.subarray(0, cut);
      // Cut exactly where the unsigned base ended, the file is that base: nothing to report.
      if (!signature && cut === base.length) {
        expect(locate(short)).toBeUndefined();
        continue;
      }
      // Cut inside its headers, the file is no longer a program that Windows could start.
      if (cut < 0x400) continue;
      expect(() => locate(short), `cut at ${cut} of ${bytes.length}`).toThrow(PayloadDamagedError);
    }
  });

  it('reports a changed byte of the payload as damaged', async () => {
    const { bytes } = await personalized(syntheticPe());
    const altered = Buffer.from(bytes);
    const at = bytes.length - 100;
    altered[at] = (altered[at] as number) ^ 0xff;
    expect(() => locate(altered)).toThrow(/checksum mismatch/);
  });

  it('refuses payload files that are missing or malformed', () => {
    const good = buildPayloadZip(payload(), new Date());
    expect(() => readPayloadZip(zipSync({ 'ca.crt': Buffer.from(CA) }))).toThrow(
      /config.json is missing/,
    );
    const badConfig = zipSync({
      'config.json': Buffer.from('{"mode":"token"}'),
      'ca.crt': Buffer.from(CA),
    });
    expect(() => readPayloadZip(badConfig)).toThrow(PayloadDamagedError);
    expect(() => readPayloadZip(Buffer.from(good).subarray(0, 50))).toThrow(PayloadDamagedError);
  });
});

describe('gzip of a personalized executable', () => {
  it.each([
    ['unsigned', undefined],
    ['signed', crypto.randomBytes(1501)],
  ])('inflates to exactly the identity bytes (%s base)', async (_kind, signature) => {
    const { file, analysis, zip, bytes } = await personalized(
      syntheticPe({ certificate: signature, sectionBytes: 0x40000 }),
    );
    const cache = new DeflateCache(tempDir('deflate'));
    const cached = await cache.prepare(analysis);
    const layout = personalize(analysis, zip);
    const base = fs.readFileSync(file);
    const gzip = await gzipLayout(analysis, layout, cached, async (start, end) =>
      base.subarray(start, end),
    );
    const compressed = fs.readFileSync(cached);
    const body = Buffer.concat(
      (gzip?.segments ?? []).map((segment) =>
        segment.kind === 'bytes' ? segment.bytes : compressed.subarray(segment.start, segment.end),
      ),
    );
    expect(body.length).toBe(gzip?.length);
    expect(zlib.gunzipSync(body).equals(bytes)).toBe(true);
  });

  it('combines CRC-32s as if computed over the whole', () => {
    for (const [a, b] of [
      [0, 0],
      [1, 0],
      [0, 9],
      [1000, 77_777],
      [5, 1 << 20],
    ]) {
      const first = crypto.randomBytes(a as number);
      const second = crypto.randomBytes(b as number);
      const whole = zlib.crc32(Buffer.concat([first, second]));
      expect(crc32Combine(zlib.crc32(first), zlib.crc32(second), b as number)).toBe(whole);
    }
  });
});
