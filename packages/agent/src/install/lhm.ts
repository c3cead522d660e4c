import crypto from 'node:crypto';
import fs from 'node:fs';
import type path from 'node:path';
import { unzipSync } from 'fflate';
import { z } from 'zod';
import type { WindowsPaths } from '../windows/paths';

/**
 * LibreHardwareMonitor (LHM), the optional CPU temperature driver. A release carries it when the
 * channel's downloads hold `metadata-lhm.json` and the ZIP it names (lhm-wrapper.exe and the
 * LibreHardwareMonitor library); without them the agent reads temperatures through WMI.
 */
export const LHM_METADATA_FILE = 'metadata-lhm.json';
export const LHM_WRAPPER = 'lhm-wrapper.exe';
const MAX_LHM_BYTES = 64 * 1024 * 1024;

export const lhmMetadataSchema = z.object({
  version: z.string().max(64),
  filename: z
    .string()
    .max(255)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.zip$/),
  checksum_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  file_size_bytes: z.number().int().min(1).max(MAX_LHM_BYTES),
});

export type LhmOutcome =
  | { status: 'installed'; version: string; files: number }
  | { status: 'unavailable' | 'failed'; reason: string };

type Fetch = typeof fetch;

/** A ZIP entry name that stays inside the folder: no absolute path, no `..`, no drive. */
function safeEntry(name: string): string | undefined {
  const parts = name.replace(/\\/g, '/').split('/');
  if (parts.some((part) => part === '..' || part.includes(':')) || name.startsWith('/')) {
    return undefined;
  }
  const clean = parts.filter((part) => part && part !== '.');
  return clean.length > 0 ? clean.join('/') : undefined;
}

/**
 * Fetches LHM from `{server}/downloads/{channel}/`, checks its size and SHA-256 (hex in any
 * case) and unpacks it into the `lhm` folder. Never throws: the install goes on without LHM and
 * says why.
 */
export async function installLhm(options: {
  serverUrl: string | undefined;
  channel: 'stable' | 'beta';
  paths: Pick<WindowsPaths, 'lhmDir'>;
  path: path.PlatformPath;
  fetch?: Fetch;
}): Promise<LhmOutcome> {
  if (!options.serverUrl) {
    return { status: 'unavailable', reason: "l'adresse du serveur n'est pas connue" };
  }
  const doFetch = options.fetch ?? fetch;
  const base = `${options.serverUrl.replace(/\/+$/, '')}/downloads/${options.channel}`;
  try {
    const response = await doFetch(`${base}/${LHM_METADATA_FILE}`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 404) {
      return { status: 'unavailable', reason: `le canal ${options.channel} ne contient pas LHM` };
    }
    if (!response.ok)
      return { status: 'failed', reason: `${LHM_METADATA_FILE} : HTTP ${response.status}` };
    const metadata = lhmMetadataSchema.safeParse(
      JSON.parse((await response.text()).replace(/^\uFEFF/, '')),
    );
    if (!metadata.success) return { status: 'failed', reason: `${LHM_METADATA_FILE} est invalide` };
    const { filename, checksum_sha256: expected, file_size_bytes: size, version } = metadata.data;

    const archive = await doFetch(`${base}/${filename}`, { signal: AbortSignal.timeout(300_000) });
    if (!archive.ok) return { status: 'failed', reason: `${filename} : HTTP ${archive.status}` };
    const bytes = Buffer.from(await archive.arrayBuffer());
    if (bytes.length !== size) {
      return {
        status: 'failed',
        reason: `${filename} : ${bytes.length} octets au lieu de ${size}`,
      };
    }
    const actual = crypto.createHash('sha256').update(bytes).digest('hex');
    if (actual !== expected.toLowerCase()) {
      return { status: 'failed', reason: `${filename} : empreinte SHA-256 différente` };
    }

    const entries = Object.entries(unzipSync(bytes));
    const files = entries.filter(([name]) => !name.endsWith('/'));
    const names = files.map(([name]) => safeEntry(name));
    if (names.some((name) => name === undefined)) {
      return { status: 'failed', reason: `${filename} contient un chemin interdit` };
    }
    if (!names.some((name) => name?.toLowerCase() === LHM_WRAPPER)) {
      return { status: 'failed', reason: `${filename} ne contient pas ${LHM_WRAPPER}` };
    }
    fs.rmSync(options.paths.lhmDir, { recursive: true, force: true });
    files.forEach(([, content], index) => {
      const target = options.path.join(
        options.paths.lhmDir,
        ...(names[index] as string).split('/'),
      );
      fs.mkdirSync(options.path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    });
    return { status: 'installed', version, files: files.length };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: 'failed', reason: cause?.code ?? (error as Error).message };
  }
}
