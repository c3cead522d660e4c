import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildPayloadZip, type InstallerPayload } from '@optralis/protocol/installer-payload';
import { describe, expect, it } from 'vitest';
import { syntheticPe } from '../../../../test/support/pe';
import { tempDir } from '../../../../test/support/server';
import { analyzeBase } from '../../../server/src/installers/windows/analysis';
import { directChecksum } from '../../../server/src/installers/windows/checksum';
import { personalize } from '../../../server/src/installers/windows/personalize';
import { readOwnPayload } from '../payload';
import { peChecksum, withoutPayload } from './strip-payload';

const payload: InstallerPayload = {
  config: {
    mode: 'token',
    api_url: 'https://agents.example.test:8443',
    public_url: 'https://optralis.example.test',
    channel: 'stable',
    client_id: '01JCLIENT00000000000000000',
    created_at: '2026-01-01T10:00:00.000Z',
  },
  caCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  token: 'opt_the-secret-token-0000000000000000000000',
};

/** A personalized installer made by the server's own code from `base`. */
async function personalized(base: Buffer): Promise<Buffer> {
  const file = path.join(tempDir('strip'), 'base.exe');
  fs.writeFileSync(file, base);
  const layout = personalize(
    await analyzeBase(file),
    buildPayloadZip(payload, new Date('2026-01-01T10:00:00Z')),
  );
  return Buffer.concat(
    layout.segments.map((segment) =>
      segment.kind === 'bytes' ? segment.bytes : base.subarray(segment.start, segment.end),
    ),
  );
}

describe('the installed copy carries no payload', () => {
  it('an unsigned installer gives back its base exactly, checksum included', async () => {
    const base = syntheticPe();
    base.writeUInt32LE(peChecksum(base, 0x80 + 24 + 64), 0x80 + 24 + 64);
    const installer = await personalized(base);
    expect(installer.length).toBeGreaterThan(base.length);
    const stripped = withoutPayload(installer);
    const differs = stripped.findIndex((byte, index) => byte !== base[index]);
    expect([stripped.length, differs]).toEqual([base.length, -1]);
  });

  it('a signed installer gives back the signed release byte for byte', async () => {
    const base = syntheticPe({ certificate: crypto.randomBytes(301) });
    base.writeUInt32LE(directChecksum(base, 0x80 + 24 + 64), 0x80 + 24 + 64);
    const installer = await personalized(base);
    expect(installer.length).toBeGreaterThan(base.length);
    const stripped = withoutPayload(installer);
    expect(stripped.equals(base)).toBe(true);
    const file = path.join(tempDir('strip'), 'copy.exe');
    fs.writeFileSync(file, stripped);
    expect(readOwnPayload(file)).toBeUndefined();
  });

  it('computes the PE checksum as the server does', () => {
    const file = syntheticPe({ certificate: crypto.randomBytes(99) });
    expect(peChecksum(file, 0x80 + 24 + 64)).toBe(directChecksum(file, 0x80 + 24 + 64));
  });

  it('leaves an executable without a payload as it is', () => {
    const base = syntheticPe();
    expect(withoutPayload(base)).toBe(base);
  });
});
