import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `npm run dev` sends API calls: a server started with `npm run demo` by default. */
const api = process.env.OPTRALIS_DEV_API ?? 'http://127.0.0.1:8080';
const proxied = ['/api', '/agent', '/install.sh', '/install.ps1', '/uninstall.sh', '/downloads'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // The server serves the build under /dashboard/ (packages/server/src/dashboard).
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One request for the styles; the bundle is small enough to need no splitting.
    cssCodeSplit: false,
  },
  server: {
    proxy: Object.fromEntries(proxied.map((prefix) => [prefix, api])),
  },
});
