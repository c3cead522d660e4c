#!/usr/bin/env node
// Baselines made the way the agent executables are made, in a process of their own (postject
// needs about 0.9 GB while it works). Prints one JSON object on standard output.
//
//   sea-baseline.mjs stock           the official Node binaries the agent builds start from
//   sea-baseline.mjs sleeper [DIR]   a linux-amd64 single executable that only sleeps, built with
//                                    esbuild and postject into the same Node binary as the agent
//                                    (stripped like it), cached in DIR (default: the per-user
//                                    cache of the agent builds, `bench/` in it)
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { cacheRoot, NODE_VERSION, nodeBinary, TARGETS } from '../../scripts/agent/node-dist.mjs';
import { inject, makeSeaBlob, strip } from '../../scripts/agent/sea.mjs';

const SLEEPER_SOURCE = `
// Does nothing at all, for as long as it is left running.
setInterval(() => {}, 60_000);
`;

async function stock() {
  const binaries = {};
  for (const target of TARGETS) {
    const file = await nodeBinary(target);
    binaries[target] = { file, bytes: fs.statSync(file).size };
  }
  return { node_version: NODE_VERSION, binaries };
}

async function sleeper(dir) {
  const file = path.join(dir, `sleeper-node-${NODE_VERSION}`);
  if (fs.existsSync(file)) return { file, bytes: fs.statSync(file).size, cached: true };

  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dir, '.work-'));
  try {
    const bundle = path.join(work, 'sleeper.cjs');
    await build({
      stdin: { contents: SLEEPER_SOURCE, loader: 'js' },
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    });
    const node = await nodeBinary('linux-amd64');
    const blob = path.join(work, 'sea-prep.blob');
    makeSeaBlob({ node, bundle, blob, workDir: work });
    const partial = path.join(work, 'sleeper');
    fs.copyFileSync(node, partial);
    strip('linux-amd64', partial);
    fs.chmodSync(partial, 0o755);
    inject(partial, blob);
    fs.renameSync(partial, file);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { file, bytes: fs.statSync(file).size, cached: false };
}

const [command, dir] = process.argv.slice(2);
if (command === 'stock') {
  process.stdout.write(`${JSON.stringify(await stock())}\n`);
} else if (command === 'sleeper') {
  const where = path.resolve(dir ?? path.join(cacheRoot(), 'bench'));
  process.stdout.write(`${JSON.stringify(await sleeper(where))}\n`);
} else {
  process.stderr.write('usage: sea-baseline.mjs stock | sleeper [DIR]\n');
  process.exitCode = 64;
}
