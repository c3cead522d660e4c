import type { Architecture, Channel, Platform } from '@optralis/protocol';
import type { AppContext } from '../context';
import { downloadUrl, readDownloads } from '../releases/metadata';

/**
 * The download address of the agent build for this platform, architecture and channel, from
 * the channel's `metadata-windows.json` or `metadata-linux.json` (read through the protocol's
 * schemas), or null when nothing usable has been built for it yet.
 */
export function agentBinaryUrl(
  ctx: Pick<AppContext, 'config' | 'urls'>,
  target: { platform: Platform; arch: Architecture; channel: Channel },
): string | null {
  const { files } = readDownloads(ctx.config.downloadsDir);
  const file = files.find(
    (offered) =>
      offered.channel === target.channel &&
      offered.platform === target.platform &&
      offered.architecture === target.arch,
  );
  return file ? downloadUrl(ctx.urls.publicUrl, target.channel, file.filename) : null;
}
