/** Bundles the server CLI into `outdir/optralis.mjs`, with its script templates beside it. */
export function bundleServer(options: {
  root: string;
  outdir: string;
  sourcemap?: boolean;
}): Promise<string>;
