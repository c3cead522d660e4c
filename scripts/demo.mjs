// `npm run demo`: builds what is needed, then starts the server on the embedded SQLite store and
// prints the commands that enroll this machine. When the downloads directory has no agent
// executable for this machine yet, one is built first, so that the printed install one-liner
// (`curl …/install.sh | sudo bash …`) works here.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoBuildTarget } from './agent/demo-build.mjs';
import { hostTarget } from './agent/node-dist.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function runStep(script, args = []) {
  const result = spawnSync(process.execPath, [path.join(root, script), ...args], {
    stdio: 'inherit',
    cwd: root,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

runStep('scripts/build-server.mjs');
runStep('scripts/build-agent-bundle.mjs');
runStep('scripts/build-dashboard.mjs');

const downloads = path.resolve(root, process.env.OPTRALIS_DOWNLOADS_DIR ?? 'deploy/downloads');
const target = demoBuildTarget(downloads, hostTarget());
if (target) {
  const agent = JSON.parse(fs.readFileSync(path.join(root, 'packages/agent/package.json'), 'utf8'));
  process.stderr.write(
    `\nNo agent executable for ${target} in ${path.relative(root, downloads) || '.'}/stable yet: ` +
      `building optralis-agent ${agent.version} for it (once; a minute or two)...\n`,
  );
  const args = ['-v', agent.version, '-c', 'stable', '-t', target, '-o', downloads];
  runStep('scripts/build-agent.mjs', args);
}

const server = spawn(
  process.execPath,
  [path.join(root, 'packages/server/bin/optralis.mjs'), 'serve', '--demo'],
  { stdio: 'inherit', cwd: root },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
