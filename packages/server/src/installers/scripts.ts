import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the installer script templates are: beside their modules in the sources, and in
 * `dist/installers/` once the server is bundled (`scripts/build-server.mjs` copies them there,
 * keeping their paths).
 */
function installersDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const bundled = path.join(here, 'installers');
  return fs.existsSync(bundled) ? bundled : here;
}

const cache = new Map<string, string>();

/**
 * The text of a script template, `relative` to the installers folder, read once. Scripts go
 * out with LF line endings only, whatever a checkout did to the file.
 */
export function readInstallerScript(relative: string): string {
  let text = cache.get(relative);
  if (text === undefined) {
    text = fs.readFileSync(path.join(installersDir(), relative), 'utf8').replace(/\r\n?/g, '\n');
    cache.set(relative, text);
  }
  return text;
}
