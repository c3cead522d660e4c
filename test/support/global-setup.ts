import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleAgent } from '../../scripts/agent/bundle.mjs';
import { bundleServer } from '../../scripts/server/bundle.mjs';
import { REPO_ROOT } from './paths';

/**
 * One scratch directory per test run, removed at the end, and the agent and the `optralis`
 * command bundled once from the current sources: tests run them as they ship (esbuild bundles),
 * not through a TypeScript loader, which costs seconds at every start. The server bundle goes
 * under node_modules/.cache, inside the repository, so that it finds its packages there.
 */
export default async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-test-'));
  process.env.OPTRALIS_TEST_TMP = dir;
  const agentBundle = path.join(dir, 'agent', 'optralis-agent.cjs');
  await bundleAgent({ root: REPO_ROOT, version: '0.0.0-dev', outfile: agentBundle });
  process.env.OPTRALIS_TEST_AGENT_BUNDLE = agentBundle;
  const serverDir = path.join(REPO_ROOT, 'node_modules', '.cache', path.basename(dir));
  process.env.OPTRALIS_TEST_SERVER_BUNDLE = await bundleServer({
    root: REPO_ROOT,
    outdir: serverDir,
  });
  return () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(serverDir, { recursive: true, force: true });
  };
}
