// The steps that turn the agent bundle and an official Node binary into a single executable:
// SEA blob, strip, Authenticode removal and signing, postject injection.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The fuse Node looks for to know a blob was injected (Node's documented value). */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Runs a tool; a non-zero exit is an error naming the tool and showing its own message. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
    ...options,
  });
  if (result.error) {
    const missing = result.error.code === 'ENOENT';
    throw new Error(
      missing ? `${command} is not installed` : `${command}: ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.toString().trim();
    throw new Error(`${path.basename(command)} failed (exit ${result.status}): ${output}`);
  }
  return result.stdout?.toString() ?? '';
}

export function hasCommand(command) {
  const probe = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !probe.error;
}

/**
 * Node options the agent starts with. The agent allocates little and keeps less: a young
 * generation of 1 MB semi-spaces, instead of up to 16 MB, keeps its resident memory small
 * (bench/footprint.ts measures it), and one V8 worker thread is enough for its collections.
 * `--max-opt=1` stops JavaScript at Sparkplug, V8's baseline compiler: the optimizing compilers
 * (Maglev, TurboFan) are large parts of the Node executable, about 5 MB of it resident once they
 * have run, for code that works a few milliseconds an interval. WebAssembly (fetch's HTTP parser,
 * used by updates) still runs.
 */
export const AGENT_EXEC_ARGV = ['--max-semi-space-size=1', '--v8-pool-size=1', '--max-opt=1'];

/**
 * Makes the SEA preparation blob with `node` (the pinned version). Code cache and snapshot are
 * off: both are specific to the platform that makes them, and one blob serves every target of
 * a family. `assets` are files the program reads with `sea.getAsset(name)`.
 */
export function makeSeaBlob({ node, bundle, blob, workDir, assets }) {
  const config = path.join(workDir, `${path.basename(blob)}.json`);
  fs.writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
      execArgv: AGENT_EXEC_ARGV,
      ...(assets ? { assets } : {}),
    }),
  );
  run(node, ['--experimental-sea-config', config], { cwd: workDir });
  if (!fs.existsSync(blob)) throw new Error('node did not write the SEA blob');
}

/** The strip program for an ELF of `target` on this machine. */
export function stripCommand(target) {
  if (target === 'linux-arm64') {
    return process.arch === 'arm64' ? 'strip' : 'aarch64-linux-gnu-strip';
  }
  return process.arch === 'x64' ? 'strip' : 'x86_64-linux-gnu-strip';
}

export function strip(target, file) {
  run(stripCommand(target), ['--strip-all', file]);
}

/**
 * Node's Authenticode signature covers the file as published; injecting breaks it. Remove it
 * first so the result is either unsigned or signed by us, never carrying a broken signature.
 */
export function removeSignature(input, output) {
  run('osslsigncode', ['remove-signature', '-in', input, '-out', output]);
}

/**
 * Signs with osslsigncode. The password is read from a file (`-readpass`), never from argv,
 * which every user of the machine can read.
 */
export function sign(input, output, signing) {
  const args = ['sign', '-h', 'sha256', '-n', 'Optralis Agent'];
  if (signing.pkcs12) args.push('-pkcs12', signing.pkcs12);
  else args.push('-certs', signing.cert, '-key', signing.key);
  if (signing.passwordFile) args.push('-readpass', signing.passwordFile);
  if (signing.timestampUrl) args.push('-ts', signing.timestampUrl);
  args.push('-in', input, '-out', output);
  run('osslsigncode', args);
}

/** Injects the blob with postject in its own process: it needs about 0.9 GB while it works. */
export function inject(file, blob) {
  const require = createRequire(import.meta.url);
  const cli = path.join(path.dirname(require.resolve('postject/package.json')), 'dist/cli.js');
  run(process.execPath, [cli, file, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
}

/**
 * Proves the executable carries this build's bundle: the bundle starts with a comment holding a
 * build id made fresh for every build, so an output left over from an earlier build cannot pass.
 */
export function carriesBuild(file, marker) {
  return fs.readFileSync(file).includes(Buffer.from(marker));
}
