#!/usr/bin/env node
// Builds the agent executables (Node single executable applications) for linux-amd64,
// linux-arm64 and windows-amd64 from this machine, into `downloads/{channel}/` with the
// specification's file names and metadata files. `build-agent.sh` and `build-agent.ps1` wrap it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import semver from 'semver';
import { bundleAgent } from './agent/bundle.mjs';
import { withLock } from './agent/lock.mjs';
import { hostTarget, NODE_VERSION, nodeBinary, TARGETS } from './agent/node-dist.mjs';
import {
  entryStillPresent,
  formatBytes,
  isoSeconds,
  linuxMetadata,
  mergeLinuxMetadata,
  outputName,
  readJsonIfPresent,
  removeIfPresent,
  sha256File,
  windowsMetadata,
  writeGzipSibling,
  writeJson,
} from './agent/outputs.mjs';
import {
  hasCommand,
  inject,
  makeSeaBlob,
  removeSignature,
  sign,
  strip,
  stripCommand,
} from './agent/sea.mjs';
import { serviceWrapperAssets } from './agent/service-wrapper.mjs';
import { checkReportedVersion, refuseForeignBundle } from './agent/verify.mjs';
import {
  applyWindowsResources,
  readWindowsResources,
  SUBSYSTEM_WINDOWS_GUI,
  writePeChecksum,
} from './agent/windows-resources.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage: node scripts/build-agent.mjs --version X.Y.Z [options]

  -v, --version X.Y.Z        version to build (semver, required)
  -c, --channel NAME         stable (default) or beta
  -t, --targets LIST         comma-separated: ${TARGETS.join(', ')}
                             (default: linux-amd64,linux-arm64)
      --windows              also build windows-amd64
  -o, --out DIR              downloads directory (default: $OPTRALIS_DOWNLOADS_DIR, else
                             deploy/downloads)
      --no-gzip              do not write the precompressed .gz siblings
      --gzip-level N         1-9 (default 9)
      --report FILE          also write the build's times and sizes as JSON
      --sign-pkcs12 FILE     sign the Windows executable with this PKCS#12 file, or
      --sign-cert FILE --sign-key FILE   with a PEM certificate and key
      --sign-password-file FILE          password of the key or PKCS#12 file
      --sign-timestamp URL   RFC 3161 timestamp server
  -h, --help

Signing options may also come from OPTRALIS_SIGN_PKCS12, OPTRALIS_SIGN_CERT, OPTRALIS_SIGN_KEY,
OPTRALIS_SIGN_PASSWORD_FILE and OPTRALIS_SIGN_TIMESTAMP_URL.`;

class UsageError extends Error {}

function say(line) {
  process.stderr.write(`${line}\n`);
}

function seconds(since) {
  return (Number(process.hrtime.bigint() - since) / 1e9).toFixed(1);
}

/** Where the server serves builds from (its OPTRALIS_DOWNLOADS_DIR), so builds land there. */
function defaultDownloadsDir(env) {
  return env.OPTRALIS_DOWNLOADS_DIR?.trim() || path.join(ROOT, 'deploy/downloads');
}

/**
 * The command line the build accepts. Exported so that the wrappers' tests can check every flag
 * they pass against it (build-agent.ps1 cannot run here).
 */
export const BUILD_OPTIONS = {
  version: { type: 'string', short: 'v' },
  channel: { type: 'string', short: 'c', default: 'stable' },
  targets: { type: 'string', short: 't' },
  windows: { type: 'boolean', default: false },
  out: { type: 'string', short: 'o' },
  'no-gzip': { type: 'boolean', default: false },
  'gzip-level': { type: 'string', default: '9' },
  report: { type: 'string' },
  'sign-pkcs12': { type: 'string' },
  'sign-cert': { type: 'string' },
  'sign-key': { type: 'string' },
  'sign-password-file': { type: 'string' },
  'sign-timestamp': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

export function parseOptions(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: BUILD_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { help: true };

  const version = values.version?.trim();
  if (!version) throw new UsageError('--version is required (for example --version 1.0.0)');
  if (semver.valid(version) !== version) {
    throw new UsageError(`version "${version}" is not a semantic version such as 1.0.0`);
  }
  const channel = values.channel;
  if (channel !== 'stable' && channel !== 'beta') {
    throw new UsageError(`channel "${channel}" is neither stable nor beta`);
  }
  const targets = (values.targets ?? 'linux-amd64,linux-arm64')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (values.windows && !targets.includes('windows-amd64')) targets.push('windows-amd64');
  const unknown = targets.filter((target) => !TARGETS.includes(target));
  if (unknown.length > 0 || targets.length === 0) {
    throw new UsageError(`unknown target ${unknown.join(', ')}; choose from ${TARGETS.join(', ')}`);
  }
  const gzipLevel = Number(values['gzip-level']);
  if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) {
    throw new UsageError('--gzip-level must be 1 to 9');
  }

  const signing = {
    pkcs12: values['sign-pkcs12'] ?? env.OPTRALIS_SIGN_PKCS12,
    cert: values['sign-cert'] ?? env.OPTRALIS_SIGN_CERT,
    key: values['sign-key'] ?? env.OPTRALIS_SIGN_KEY,
    passwordFile: values['sign-password-file'] ?? env.OPTRALIS_SIGN_PASSWORD_FILE,
    timestampUrl: values['sign-timestamp'] ?? env.OPTRALIS_SIGN_TIMESTAMP_URL,
  };
  const signs = Boolean(signing.pkcs12 || signing.cert || signing.key);
  if (signs && !signing.pkcs12 && !(signing.cert && signing.key)) {
    throw new UsageError('signing needs --sign-pkcs12, or both --sign-cert and --sign-key');
  }
  for (const file of [signing.pkcs12, signing.cert, signing.key, signing.passwordFile]) {
    if (file && !fs.existsSync(file)) throw new UsageError(`signing file ${file} does not exist`);
  }

  return {
    help: false,
    version,
    channel,
    targets: TARGETS.filter((target) => targets.includes(target)),
    out: path.resolve(values.out ?? defaultDownloadsDir(env)),
    gzip: !values['no-gzip'],
    gzipLevel,
    report: values.report ? path.resolve(values.report) : undefined,
    signing: signs ? signing : undefined,
  };
}

/** Every outside tool the chosen targets need, checked before any work starts. */
function checkTools(options) {
  const needed = new Set(['tar']);
  for (const target of options.targets) {
    if (target.startsWith('linux-')) needed.add(stripCommand(target));
    else needed.add('osslsigncode');
  }
  const missing = [...needed].filter((command) => !hasCommand(command));
  if (missing.length > 0) {
    const hint =
      process.platform === 'win32'
        ? 'put them on the PATH'
        : 'on Debian: apt-get install binutils binutils-aarch64-linux-gnu osslsigncode';
    throw new UsageError(`missing tools: ${missing.join(', ')} (${hint})`);
  }
}

async function buildTarget({ target, options, workDir, blobs, marker }) {
  const started = process.hrtime.bigint();
  const step = (text) => say(`[${target}] ${text}`);
  const source = await nodeBinary(target, { say: step });
  const filename = outputName(target, options.version);
  const file = path.join(workDir, filename);

  if (target === 'windows-amd64') {
    step('removing the Node.js signature');
    removeSignature(source, file);
    step('setting the GUI subsystem, icon, version information and manifest (resedit)');
    applyWindowsResources(file, { version: options.version });
  } else {
    fs.copyFileSync(source, file);
    step(`stripping (${stripCommand(target)})`);
    strip(target, file);
  }
  fs.chmodSync(file, 0o755);

  step('injecting the agent (postject)');
  inject(file, target === 'windows-amd64' ? blobs.windows : blobs.linux);
  if (target === 'windows-amd64') writePeChecksum(file);

  if (target === 'windows-amd64' && options.signing) {
    step('signing (osslsigncode)');
    const unsigned = `${file}.unsigned`;
    fs.renameSync(file, unsigned);
    sign(unsigned, file, options.signing);
    fs.rmSync(unsigned);
  }

  refuseForeignBundle(file, marker);
  if (target === 'windows-amd64') {
    const resources = readWindowsResources(fs.readFileSync(file));
    if (
      resources.subsystem !== SUBSYSTEM_WINDOWS_GUI ||
      resources.strings.FileVersion !== options.version
    ) {
      throw new Error(`${filename} lost its Windows resources while the agent was injected`);
    }
  }
  if (checkReportedVersion(target, file, options.version))
    step(`runs and reports ${options.version}`);

  const bytes = fs.statSync(file).size;
  const sha256 = await sha256File(file);
  step(`done in ${seconds(started)} s, ${formatBytes(bytes)}`);
  return { target, filename, file, bytes, sha256, seconds: Number(seconds(started)) };
}

/** Moves the verified files into the channel directory, then writes the metadata last. */
async function publish(options, built, buildTime) {
  const dir = path.join(options.out, options.channel);
  for (const entry of built) {
    const destination = path.join(dir, entry.filename);
    // The old .gz of a file with this name must never outlive the file it was made from.
    removeIfPresent(`${destination}.gz`);
    fs.renameSync(entry.file, destination);
    entry.file = destination;
    if (options.gzip) {
      const started = process.hrtime.bigint();
      say(`[${entry.target}] writing ${entry.filename}.gz (level ${options.gzipLevel})`);
      entry.gzipBytes = await writeGzipSibling(destination, options.gzipLevel);
      entry.gzipSeconds = Number(seconds(started));
    }
  }

  const common = { version: options.version, channel: options.channel, buildTime };
  const linux = built.filter((entry) => entry.target.startsWith('linux-'));
  const metadata = {};
  if (linux.length > 0) {
    metadata.linux = path.join(dir, 'metadata-linux.json');
    const merged = mergeLinuxMetadata(
      readJsonIfPresent(metadata.linux),
      linuxMetadata({ ...common, built: linux }),
      entryStillPresent(dir),
    );
    writeJson(metadata.linux, merged);
  }
  const windows = built.find((entry) => entry.target === 'windows-amd64');
  if (windows) {
    metadata.windows = path.join(dir, 'metadata-windows.json');
    writeJson(metadata.windows, windowsMetadata({ ...common, entry: windows }));
  }
  return metadata;
}

function printSummary(options, built, totalSeconds) {
  const lines = [
    `optralis-agent ${options.version} (${options.channel}), Node ${NODE_VERSION}, ` +
      `built in ${totalSeconds.toFixed(1)} s:`,
  ];
  for (const entry of built) {
    const gzip = entry.gzipBytes ? `, gzip ${formatBytes(entry.gzipBytes)}` : '';
    lines.push(
      `  ${entry.target.padEnd(14)} ${formatBytes(entry.bytes).padStart(9)}${gzip}  ${entry.file}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function buildAgent(options) {
  const started = process.hrtime.bigint();
  checkTools(options);
  const dir = path.join(options.out, options.channel);
  fs.mkdirSync(dir, { recursive: true });

  return withLock(path.join(options.out, `.build-${options.channel}.lock`), say, async () => {
    const buildId = crypto.randomBytes(12).toString('hex');
    const workDir = fs.mkdtempSync(path.join(options.out, `.work-${options.channel}-`));
    try {
      const marker = `optralis-agent ${options.version} build ${buildId}`;
      const bundle = path.join(workDir, 'optralis-agent.cjs');
      say(`bundling the agent ${options.version} (esbuild)`);
      await bundleAgent({
        root: ROOT,
        version: options.version,
        outfile: bundle,
        banner: `/* ${marker} */`,
      });

      const seaTarget = hostTarget();
      if (!seaTarget) throw new Error(`cannot make the SEA blob on ${process.platform}`);
      const seaNode = await nodeBinary(seaTarget, { say });
      // Linux and Windows blobs differ by the Windows service wrapper, an asset of the latter.
      const blobs = {};
      if (options.targets.some((target) => target.startsWith('linux-'))) {
        blobs.linux = path.join(workDir, 'sea-prep-linux.blob');
        say(`making the SEA blob with Node ${NODE_VERSION}`);
        makeSeaBlob({ node: seaNode, bundle, blob: blobs.linux, workDir });
      }
      if (options.targets.includes('windows-amd64')) {
        blobs.windows = path.join(workDir, 'sea-prep-windows.blob');
        say(
          `making the Windows SEA blob (with the WinSW service wrapper) with Node ${NODE_VERSION}`,
        );
        makeSeaBlob({
          node: seaNode,
          bundle,
          blob: blobs.windows,
          workDir,
          assets: serviceWrapperAssets(),
        });
      }

      const built = [];
      // One target at a time: postject needs about 0.9 GB while it works.
      for (const target of options.targets) {
        built.push(await buildTarget({ target, options, workDir, blobs, marker }));
      }

      const buildTime = isoSeconds(new Date());
      const metadata = await publish(options, built, buildTime);
      const totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      printSummary(options, built, totalSeconds);

      const report = {
        version: options.version,
        channel: options.channel,
        node_version: NODE_VERSION,
        build_time: buildTime,
        total_seconds: Number(totalSeconds.toFixed(2)),
        metadata,
        targets: Object.fromEntries(
          built.map((entry) => [
            entry.target,
            {
              file: entry.file,
              bytes: entry.bytes,
              gzip_bytes: entry.gzipBytes ?? null,
              sha256: entry.sha256,
              seconds: entry.seconds,
              gzip_seconds: entry.gzipSeconds ?? null,
            },
          ]),
        ),
      };
      if (options.report) writeJson(options.report, report);
      return report;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    say(`build-agent: ${error.message}`);
    say('Run with --help for the options.');
    return 64;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    await buildAgent(options);
    return 0;
  } catch (error) {
    say(`build-agent: ${error.message}`);
    return error instanceof UsageError ? 64 : 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
