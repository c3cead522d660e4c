#!/usr/bin/env node
// The server is bundled by `npm run build`; this file only loads the bundle.
await import('../dist/optralis.mjs');
