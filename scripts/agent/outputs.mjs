// What a build leaves in `downloads/{channel}/`: the executables under the specification's names,
// their precompressed `.gz` siblings, and `metadata-linux.json` / `metadata-windows.json`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export function outputName(target, version) {
  if (target === 'windows-amd64') return `optralis-agent-v${version}.exe`;
  return `optralis-agent-${target}-v${version}`;
}

export function architectureOf(target) {
  return target.endsWith('arm64') ? 'arm64' : 'amd64';
}

export async function sha256File(file) {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/**
 * Writes `file.gz` beside `file` (through a temporary name, then rename) so that the server can
 * answer `Accept-Encoding: gzip` without compressing anything per request.
 */
export async function writeGzipSibling(file, level) {
  const partial = `${file}.gz.${process.pid}.tmp`;
  await pipeline(
    fs.createReadStream(file, { highWaterMark: 1024 * 1024 }),
    zlib.createGzip({ level }),
    fs.createWriteStream(partial),
  );
  fs.renameSync(partial, `${file}.gz`);
  return fs.statSync(`${file}.gz`).size;
}

/** JSON as UTF-8 without a byte order mark, written whole or not at all. */
export function writeJson(file, value) {
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`, { encoding: 'utf8' });
  fs.renameSync(partial, file);
}

/** `metadata-linux.json` in the specification's format, for the Linux targets of this build. */
export function linuxMetadata({ version, channel, buildTime, built }) {
  const architectures = {};
  for (const entry of built.filter((item) => item.target.startsWith('linux-'))) {
    architectures[architectureOf(entry.target)] = {
      filename: entry.filename,
      checksum_sha256: entry.sha256,
      file_size_bytes: entry.bytes,
    };
  }
  return { version, channel, platform: 'linux', architectures, build_time: buildTime };
}

/**
 * The Linux metadata to write when a channel already has some: building one architecture of the
 * version already published keeps the other architecture's entry (whose file is still there, at
 * its recorded size); another version replaces the whole file.
 */
export function mergeLinuxMetadata(previous, next, stillPresent) {
  if (!previous || previous.version !== next.version || previous.channel !== next.channel) {
    return next;
  }
  const kept = Object.entries(previous.architectures ?? {}).filter(
    ([arch, entry]) => !(arch in next.architectures) && stillPresent(entry),
  );
  return { ...next, architectures: { ...Object.fromEntries(kept), ...next.architectures } };
}

/** Whether a metadata entry's file is in `dir` (by its plain name) at its recorded size. */
export function entryStillPresent(dir) {
  return (entry) => {
    const name = entry?.filename;
    if (typeof name !== 'string' || path.basename(name) !== name) return false;
    const stat = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
    return stat?.isFile() === true && stat.size === entry.file_size_bytes;
  };
}

/** A metadata file as JSON, or undefined when there is none or it cannot be read as JSON. */
export function readJsonIfPresent(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `metadata-windows.json` in the specification's format. */
export function windowsMetadata({ version, channel, buildTime, entry }) {
  return {
    version,
    channel,
    platform: 'windows',
    architecture: 'amd64',
    filename: entry.filename,
    checksum_sha256: entry.sha256,
    file_size_bytes: entry.bytes,
    build_time: buildTime,
  };
}

/** Build time in the specification's form: ISO 8601, UTC, whole seconds. */
export function isoSeconds(date) {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function formatBytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function removeIfPresent(file) {
  fs.rmSync(file, { force: true });
}

export function channelDir(out, channel) {
  return path.join(out, channel);
}
