import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type InstallerPayload,
  locatePayload,
  readPayloadZip,
} from '@optralis/protocol/installer-payload';
import { syntheticPe } from './pe';

// Release files as the build scripts leave them in the downloads directory, for the dashboard's
// browser test.

/** A Linux build the "Import from server" button finds in the downloads directory. */
export function publishLinuxBuild(downloadsDir: string) {
  const stable = path.join(downloadsDir, 'stable');
  fs.mkdirSync(stable, { recursive: true });
  const architectures: Record<string, object> = {};
  for (const arch of ['amd64', 'arm64']) {
    const filename = `optralis-agent-linux-${arch}-v1.3.0`;
    const bytes = crypto.randomBytes(2048);
    fs.writeFileSync(path.join(stable, filename), bytes);
    architectures[arch] = {
      filename,
      checksum_sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      file_size_bytes: bytes.length,
    };
  }
  const metadata = {
    version: '1.3.0',
    channel: 'stable',
    platform: 'linux',
    architectures,
    build_time: '2026-04-01T10:00:00Z',
  };
  fs.writeFileSync(path.join(stable, 'metadata-linux.json'), JSON.stringify(metadata));
  return architectures.arm64 as { filename: string; checksum_sha256: string };
}

/** The current stable Windows build, from which personalized installers are made. */
export function publishWindowsBuild(downloadsDir: string, version: string) {
  const stable = path.join(downloadsDir, 'stable');
  fs.mkdirSync(stable, { recursive: true });
  const base = syntheticPe();
  const filename = `optralis-agent-v${version}.exe`;
  fs.writeFileSync(path.join(stable, filename), base);
  const metadata = {
    version,
    channel: 'stable',
    platform: 'windows',
    architecture: 'amd64',
    filename,
    checksum_sha256: crypto.createHash('sha256').update(base).digest('hex'),
    file_size_bytes: base.length,
    build_time: '2026-04-01T10:00:00Z',
  };
  fs.writeFileSync(path.join(stable, 'metadata-windows.json'), JSON.stringify(metadata));
  return base;
}

export function payloadOf(file: Buffer): InstallerPayload {
  const zip = locatePayload({
    size: file.length,
    read: (position, length) => file.subarray(position, position + length),
  });
  if (!zip) throw new Error('the installer carries no payload');
  return readPayloadZip(zip);
}
