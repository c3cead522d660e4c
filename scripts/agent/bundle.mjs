import path from 'node:path';
import { build } from 'esbuild';

/**
 * One self-contained CommonJS file for Node 20/22, with the version compiled in. `banner` is
 * prepended verbatim (the binary build puts its build id there).
 */
export async function bundleAgent({ root, version, outfile, minify = false, banner }) {
  await build({
    entryPoints: [path.join(root, 'packages/agent/src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify,
    legalComments: 'none',
    define: { __OPTRALIS_AGENT_VERSION__: JSON.stringify(version) },
    ...(banner ? { banner: { js: banner } } : {}),
    logLevel: 'warning',
  });
}
