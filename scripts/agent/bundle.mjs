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
 * V8 keeps a script's source for as long as its functions live, one byte a character when every
 * character is Latin-1, two otherwise: a single dash or ellipsis in a comment doubles the 2 MB the
 * agent holds. esbuild escapes strings to ASCII but keeps comments and regular expression
 * literals as written, so the bundle drops comments (`minifyWhitespace`) and is checked.
 */
function checkLatin1(outfile) {
  const text = fs.readFileSync(outfile, 'utf8');
  const index = text.search(/[\u0100-\uffff]/);
  if (index < 0) return;
  const context = JSON.stringify(text.slice(Math.max(0, index - 60), index + 1));
  throw new Error(
    `the agent bundle has a character beyond Latin-1, which doubles the memory its source ` +
      `takes; write it as a \\u escape in the source that holds it: ${context}`,
  );
}

/**
 * One self-contained CommonJS file for Node 20/22, with the version compiled in. `banner` is
 * prepended verbatim (the binary build puts its build id there). Whitespace and comments are
 * left out (see checkLatin1; the file is also a third smaller); names are kept, for stack traces.
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
    minifyWhitespace: true,
    legalComments: 'none',
    define: { __OPTRALIS_AGENT_VERSION__: JSON.stringify(version) },
    ...(banner ? { banner: { js: banner } } : {}),
    plugins: [rawText],
    logLevel: 'warning',
  });
  checkLatin1(outfile);
}
