/**
 * The silent installer on the dry-run platform, as a program of its own, so that a test can
 * give it standard input (`-token-file -`), which a test worker cannot.
 *
 *   node --import tsx test/support/dry-run-installer.ts ROOT [installer flags…]
 *
 * ROOT holds the simulated Program Files, ProgramData and %TEMP%; the exit status is the
 * installer's. Set OPTRALIS_DRY_RUN_USER=1 to run without administrator rights.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseInstallerFlags } from '../../packages/agent/src/install/flags';
import { runSilent } from '../../packages/agent/src/install/silent';
import { dryRunPlatform } from '../../packages/agent/src/windows/dry-run';

const [root, ...argv] = process.argv.slice(2);
if (!root) throw new Error('usage: dry-run-installer.ts ROOT [flags…]');
const exe = path.join(root, 'optralis-agent.exe');
fs.mkdirSync(root, { recursive: true });
fs.writeFileSync(exe, 'MZ the agent executable');
const platform = dryRunPlatform({
  root,
  ownExecutable: exe,
  machineGuid: crypto.randomUUID(),
  administrator: process.env.OPTRALIS_DRY_RUN_USER !== '1',
});
platform.runElevated = async (args) => {
  // What the elevated copy would be given, for the test to read.
  const file = args[args.indexOf('-token-file') + 1];
  const handed = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  fs.writeFileSync(path.join(root, 'elevated.json'), JSON.stringify({ args, handed }));
  return 0;
};
process.exitCode = await runSilent(parseInstallerFlags(argv), {
  platform,
  env: {},
  console: (line) => fs.writeSync(1, `${line}\n`),
});
