/** What the stable channel of a downloads directory holds for linux/`arch` (see demo-build.mjs). */
export function linuxBuildState(
  downloads: string,
  arch: string,
): 'complete' | 'incomplete' | 'missing';

/** The target `npm run demo` must build before it starts, if any. */
export function demoBuildTarget(
  downloads: string,
  hostTarget: string | undefined,
): string | undefined;
