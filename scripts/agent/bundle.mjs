import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * `import text from './file?raw'` gives the file's text (the installer's web page, its style
 * and script), as Vite does in the tests.
 */
const rawText = {
  name: 'raw-text',
  setup(builder) {
    builder.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw-text',
    }));
    builder.onLoad({ filter: /.*/, namespace: 'raw-text' }, (args) => ({
      contents: fs.readFileSync(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

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
    plugins: [rawText],
    logLevel: 'warning',
  });
}
