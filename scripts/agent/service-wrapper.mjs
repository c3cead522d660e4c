// The Windows service wrapper carried inside the Windows executable: WinSW 1.17 from npm
// `node-windows` (bin/winsw/). Its bytes are pinned: a changed file is refused, not shipped.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const PINNED = {
  'winsw.exe': '5859b114d96800a2b98ef9d19eaa573a786a422dad324547ef25be181389df01',
  'winsw.exe.config': '8ec3c3f40031c39382b11133c0d17e1eab1854f7dcc4ac38c991a8bced5086f4',
};

/** The SEA assets of the Windows executable: asset name → file. */
export function serviceWrapperAssets() {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('node-windows/package.json')), 'bin/winsw');
  const assets = {};
  for (const [name, sha256] of Object.entries(PINNED)) {
    const file = path.join(dir, name);
    const actual = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    if (actual !== sha256) {
      throw new Error(`${file} is not the pinned WinSW ${name} (sha256 ${actual}); refusing it`);
    }
    assets[name] = file;
  }
  return assets;
}
