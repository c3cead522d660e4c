// Whether `npm run demo` must build the agent first: the install one-liner the demo prints works
// only when the stable channel of the downloads directory holds an executable for this machine.
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the stable channel of `downloads` holds for linux/`arch`: `complete` when
 * metadata-linux.json names a file that is there with the published size, `incomplete` when the
 * file is missing or of another size (a build cut short), `missing` when nothing names one.
 */
export function linuxBuildState(downloads, arch) {
  let metadata;
  try {
    const file = path.join(downloads, 'stable', 'metadata-linux.json');
    metadata = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return 'missing';
  }
  const entry = metadata?.architectures?.[arch];
  const name = entry?.filename;
  // A name is one file inside the channel directory, never a path out of it.
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) return 'missing';
  let size;
  try {
    size = fs.statSync(path.join(downloads, 'stable', name)).size;
  } catch {
    return 'incomplete';
  }
  if (typeof entry.file_size_bytes === 'number' && entry.file_size_bytes !== size) {
    return 'incomplete';
  }
  return 'complete';
}

/**
 * The target (`linux-amd64`, `linux-arm64`) the demo must build before it starts, or undefined
 * when `hostTarget` is not Linux or its build is already complete.
 */
export function demoBuildTarget(downloads, hostTarget) {
  if (!hostTarget?.startsWith('linux-')) return undefined;
  const arch = hostTarget.slice('linux-'.length);
  return linuxBuildState(downloads, arch) === 'complete' ? undefined : hostTarget;
}
