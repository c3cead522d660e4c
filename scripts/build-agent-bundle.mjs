// Bundles the agent into one CommonJS file: what `node` runs in development and what the agent
// binaries embed. The version is fixed here, at build time.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAgent } from './agent/bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = process.env.OPTRALIS_AGENT_VERSION ?? '0.0.0-dev';
const outfile = path.join(root, 'packages/agent/dist/optralis-agent.cjs');
await bundleAgent({ root, version, outfile });
process.stdout.write(`built ${path.relative(root, outfile)} (version ${version})\n`);
