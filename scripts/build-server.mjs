// Bundles the server's own code (and the protocol package) into one ESM file; third-party
// packages stay in node_modules, where native modules such as better-sqlite3 must live.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'packages/server/package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter(
  (name) => !name.startsWith('@optralis/'),
);

await build({
  entryPoints: [path.join(root, 'packages/server/src/cli.ts')],
  outfile: path.join(root, 'packages/server/dist/optralis.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external,
  logLevel: 'warning',
});

// Installer script templates are read at run time (src/installers/scripts.ts): they go beside
// the bundle, under the same relative paths.
const installers = path.join(root, 'packages/server/src/installers');
const copied = path.join(root, 'packages/server/dist/installers');
fs.rmSync(copied, { recursive: true, force: true });
for (const entry of fs.readdirSync(installers, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.(sh|ps1)$/.test(entry.name)) continue;
  const from = path.join(entry.parentPath, entry.name);
  const to = path.join(copied, path.relative(installers, from));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}
process.stdout.write('built packages/server/dist/optralis.mjs\n');
