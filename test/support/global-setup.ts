import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleAgent } from '../../scripts/agent/bundle.mjs';
import { REPO_ROOT } from './paths';

/**
 * One scratch directory per test run, removed at the end, and the agent bundled once from the
 * current sources into it: tests run the agent as it ships (one esbuild bundle, with its
 * embedded installer page), not through a TypeScript loader.
 */
export default async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-test-'));
  process.env.OPTRALIS_TEST_TMP = dir;
  const agentBundle = path.join(dir, 'agent', 'optralis-agent.cjs');
  await bundleAgent({ root: REPO_ROOT, version: '0.0.0-dev', outfile: agentBundle });
  process.env.OPTRALIS_TEST_AGENT_BUNDLE = agentBundle;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
