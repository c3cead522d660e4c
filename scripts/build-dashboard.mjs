// Builds the dashboard single-page app into packages/dashboard/dist, which the server serves
// under /dashboard/, and writes a gzip copy beside every text file so that nothing is
// compressed per request.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dashboard = path.join(root, 'packages/dashboard');
const outDir = path.join(dashboard, 'dist');

await build({ configFile: path.join(dashboard, 'vite.config.ts'), logLevel: 'warn' });

const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);
/** Below this, gzip's header costs about what it saves. */
const MIN_BYTES = 1024;

function precompress(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      precompress(file);
      continue;
    }
    if (!COMPRESSIBLE.has(path.extname(entry.name))) continue;
    const content = fs.readFileSync(file);
    if (content.length < MIN_BYTES) continue;
    fs.writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
  }
}
precompress(outDir);
process.stdout.write(`built ${path.relative(root, outDir)}\n`);
