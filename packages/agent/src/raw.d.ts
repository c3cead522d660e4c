/** A file imported as text (`?raw`): esbuild's plugin in scripts/agent/bundle.mjs, Vite in tests. */
declare module '*?raw' {
  const text: string;
  export default text;
}
