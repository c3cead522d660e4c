// `npm run demo`: builds what is needed, then starts the server on the embedded SQLite store and
// prints the command that enrolls this machine.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const script of ['build-server.mjs', 'build-agent-bundle.mjs', 'build-dashboard.mjs']) {
  const step = spawnSync(process.execPath, [path.join(root, 'scripts', script)], {
    stdio: 'inherit',
  });
  if (step.status !== 0) process.exit(step.status ?? 1);
}

const server = spawn(
  process.execPath,
  [path.join(root, 'packages/server/bin/optralis.mjs'), 'serve', '--demo'],
  { stdio: 'inherit', cwd: root },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
