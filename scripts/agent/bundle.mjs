import path from 'node:path';
import { build } from 'esbuild';

/** One self-contained CommonJS file for Node 20/22, with the version compiled in. */
export async function bundleAgent({ root, version, outfile, minify = false }) {
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
    logLevel: 'warning',
  });
}
