/** Bundles the agent into one CommonJS file with its version compiled in (see bundle.mjs). */
export function bundleAgent(options: {
  root: string;
  version: string;
  outfile: string;
  minify?: boolean;
  banner?: string;
}): Promise<void>;
