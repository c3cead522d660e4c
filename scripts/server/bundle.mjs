// Bundles the server's own code (and the protocol package) into one ESM file, `optralis.mjs` in
// `outdir`; third-party packages stay in node_modules, where native modules such as
// better-sqlite3 must live, so `outdir` must be inside the repository for them to be found.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export async function bundleServer({ root, outdir, sourcemap = false }) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'packages/server/package.json'), 'utf8'));
  const external = Object.keys(pkg.dependencies ?? {}).filter(
    (name) => !name.startsWith('@optralis/'),
  );
  const outfile = path.join(outdir, 'optralis.mjs');
  await build({
    entryPoints: [path.join(root, 'packages/server/src/cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: sourcemap ? 'linked' : false,
    external,
    logLevel: 'warning',
  });

  // Installer script templates are read at run time (src/installers/scripts.ts): they go beside
  // the bundle, under the same relative paths.
  const installers = path.join(root, 'packages/server/src/installers');
  const copied = path.join(outdir, 'installers');
  fs.rmSync(copied, { recursive: true, force: true });
  for (const entry of fs.readdirSync(installers, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(sh|ps1)$/.test(entry.name)) continue;
    const from = path.join(entry.parentPath, entry.name);
    const to = path.join(copied, path.relative(installers, from));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  return outfile;
}
