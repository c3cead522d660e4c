// Builds packages/server/dist/optralis.mjs, the `optralis` command (see scripts/server/bundle.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleServer } from './server/bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await bundleServer({ root, outdir: path.join(root, 'packages/server/dist'), sourcemap: true });
process.stdout.write('built packages/server/dist/optralis.mjs\n');
