#!/usr/bin/env node
// The agent is bundled by `npm run build` (one CommonJS file, as in the agent binaries).
require('../dist/optralis-agent.cjs');
