import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context';

/**
 * The download address of the Linux agent for `arch` on `channel`, from the build's
 * `metadata-linux.json`, or null when nothing has been built for it yet.
 */
export function linuxBinaryUrl(ctx: AppContext, arch: string, channel: string): string | null {
  const file = path.join(ctx.config.downloadsDir, channel, 'metadata-linux.json');
  try {
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const metadata = JSON.parse(text) as {
      architectures?: Record<string, { filename?: unknown }>;
    };
    const filename = metadata.architectures?.[arch]?.filename;
    if (typeof filename !== 'string' || filename.includes('/')) return null;
    return `${ctx.urls.publicUrl}/downloads/${channel}/${encodeURIComponent(filename)}`;
  } catch {
    return null;
  }
}
