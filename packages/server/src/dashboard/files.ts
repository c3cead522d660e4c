import { createRequire } from 'node:module';
import path from 'node:path';
import { negotiate } from '@fastify/accept-negotiator';
import { regularFile } from '../downloads/files';

/**
 * Where the built dashboard is: the configured folder, else the `dist` folder of the dashboard
 * package that npm linked beside the server (the same in the repository and in the image).
 */
export function dashboardRoot(configured: string | undefined): string | undefined {
  if (configured) return configured;
  try {
    const manifest = createRequire(import.meta.url).resolve('@optralis/dashboard/package.json');
    return path.join(path.dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}

export function isBuilt(root: string | undefined): root is string {
  return root !== undefined && regularFile(path.join(root, 'index.html')) !== undefined;
}

export type DashboardTarget =
  | { kind: 'file'; name: string; encoding?: 'gzip' }
  | { kind: 'page' }
  | { kind: 'missing' };

/** A path segment a URL may name: no dot files, no climbing, no separators of another system. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/**
 * What `/dashboard/{relative}` serves: a file of the build when the last segment has an
 * extension (`assets/index-3f2a.js`), the application page for any other path (the router in the
 * browser shows `/dashboard/installation`), and nothing for names that could leave the folder.
 * Links are not followed. The precompressed `.gz` written by the build is chosen when accepted.
 */
export function resolveTarget(
  root: string,
  relative: string,
  acceptEncoding: string | undefined,
): DashboardTarget {
  const segments = relative.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => !SEGMENT.test(segment) || segment.includes('..'))) {
    return { kind: 'missing' };
  }
  const last = segments.at(-1);
  if (last === undefined || !last.includes('.')) return { kind: 'page' };

  const name = segments.join('/');
  const original = regularFile(path.join(root, name));
  if (!original) return { kind: 'missing' };
  if (acceptEncoding && negotiate(acceptEncoding, ['gzip', 'identity']) === 'gzip') {
    const compressed = regularFile(path.join(root, `${name}.gz`));
    if (compressed && compressed.mtimeMs >= original.mtimeMs) {
      return { kind: 'file', name: `${name}.gz`, encoding: 'gzip' };
    }
  }
  return { kind: 'file', name };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The type of the original file, also when its `.gz` sibling is what is sent. */
export function contentTypeOf(name: string): string {
  const original = name.endsWith('.gz') ? name.slice(0, -3) : name;
  return CONTENT_TYPES[path.extname(original).toLowerCase()] ?? 'application/octet-stream';
}

/** Vite names the files under `assets/` by their content hash: they never change. */
export function cacheControlOf(name: string): string {
  return name.startsWith('assets/')
    ? 'public, max-age=31536000, immutable'
    : 'public, max-age=3600';
}
