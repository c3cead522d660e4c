import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ensureAgentBuild } from '../test/support/agent-build';
import {
  cli,
  cpuMillis,
  rssBytes,
  type ServerProcess,
  scratchDir,
  startBackground,
  startLoad,
  startServerProcess,
} from './lib/processes';
import type { BenchResult } from './lib/report';

export interface InstallerBenchOptions {
  /** Downloads per case. */
  count: number;
  /** Downloads running at once. */
  concurrency: number;
}

interface LoadResult {
  elapsedMs: number;
  bytes: number;
  statuses: Record<string, number>;
  sizes: number[];
}

interface Measured {
  size: number;
  mbPerSecond: number;
  cores: number;
  /** Megabytes one fully busy server core would send per second. */
  mbPerCore: number;
  rssGrowthMb: number;
}

const MB = 1024 * 1024;
const VERSION = '1.0.0';
/**
 * How much more the server's RSS may grow than the bare static server's with the same downloads,
 * and still count as flat. Streaming from disk grows RSS too (read buffers and garbage awaiting
 * the next collection: DESIGN.md measured about 90 MB RSS in all for 20 streams of an 80 MB
 * file); one copy of the ~86 MB installer held in memory would exceed this bound, a copy per
 * download would exceed it twentyfold.
 */
const FLAT_RSS_EXCESS_MB = 32;

/** Downloads in their own process while the server's RSS (every 50 ms) and CPU are sampled. */
async function measure(
  pid: number,
  url: string,
  headers: Record<string, string>,
  options: InstallerBenchOptions,
): Promise<Measured> {
  const rssBefore = rssBytes(pid);
  let peak = rssBefore;
  const cpuBefore = cpuMillis(pid);
  const load = startLoad<LoadResult>('downloads.ts', { url, headers, ...options });
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 50);
  const result = await load.result.finally(() => clearInterval(sampler));
  const cpuMs = cpuMillis(pid) - cpuBefore;
  // Personalized copies differ by a few bytes (each carries its own token); anything more is
  // a broken download.
  const spread = Math.max(...result.sizes) - Math.min(...result.sizes);
  if ((result.statuses['200'] ?? 0) !== options.count || spread > 64 * 1024) {
    throw new Error(`${url}: ${JSON.stringify(result.statuses)}, sizes ${result.sizes.join(', ')}`);
  }
  return {
    size: result.bytes / options.count,
    mbPerSecond: result.bytes / MB / (result.elapsedMs / 1000),
    cores: cpuMs / result.elapsedMs,
    mbPerCore: result.bytes / MB / (Math.max(cpuMs, 1) / 1000),
    rssGrowthMb: (peak - rssBefore) / MB,
  };
}

/** A client administrator's session (the dashboard's way to ask for an installer). */
async function adminSession(server: ServerProcess): Promise<string> {
  const email = 'bench-admin@example.test';
  const made = await cli<{ admin_password: string }>(server.env, [
    ...['client', 'create', 'Société Générale', '--admin-email', email],
  ]);
  const response = await fetch(`${server.publicUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: made.admin_password }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** A file of exactly `size` bytes that starts with the base executable (not sparse). */
function sameSizeFile(base: string, size: number, file: string): void {
  fs.copyFileSync(base, file);
  const missing = size - fs.statSync(file).size;
  if (missing > 0) fs.appendFileSync(file, Buffer.alloc(missing, 0x5a));
  else if (missing < 0) fs.truncateSync(file, size);
}

/** One personalized installer, to learn its size (and warm the route up). */
async function oneInstaller(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, { headers });
  const body = await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  // fetch inflates gzip bodies; the size on the wire is the header's.
  return Number(response.headers.get('content-length') ?? body.byteLength);
}

/**
 * Personalized Windows installers (the current build plus a payload with a new token, for each
 * download) against a bare Node http server streaming a file of the same size from disk, plain
 * and gzip-compressed, with the server's RSS sampled while `concurrency` downloads run at once.
 * The product's own static route for the same build (`/downloads`) is shown beside them. The
 * targeted ratios are the ones issue 12 names: download throughput against the bare static file of
 * the same size. Megabytes per second of server CPU are reported beside them without a target;
 * on a small machine the download clients take as much CPU as the servers, which moves the
 * throughput ratios more than the per-core ones.
 */
export async function installerBench(options: InstallerBenchOptions): Promise<BenchResult> {
  const build = await ensureAgentBuild({
    version: VERSION,
    channel: 'stable',
    targets: ['windows-amd64'],
  });
  const scratch = scratchDir('installers');
  // The build is shared between runs: the precompressed .gz that /downloads serves goes in a
  // copy of its own (level 6, as the installers' shared part).
  const downloads = path.join(scratch, 'downloads');
  fs.cpSync(build.dir, downloads, { recursive: true });
  const base = path.join(downloads, 'stable', path.basename(build.files['windows-amd64']));
  await pipeline(
    fs.createReadStream(base),
    zlib.createGzip({ level: 6 }),
    fs.createWriteStream(`${base}.gz`),
  );
  const server = await startServerProcess({ OPTRALIS_DOWNLOADS_DIR: downloads }, 'installers');
  const servers: { stop(): Promise<void> }[] = [server];
  try {
    const auth = { authorization: `Bearer ${await adminSession(server)}` };
    const installer = `${server.publicUrl}/api/installer/windows?max_usage=50`;
    const identity = { 'accept-encoding': 'identity' };
    const gzip = { 'accept-encoding': 'gzip' };

    // The first gzip installer compresses the shared part of the build, once per build.
    const prepareStarted = performance.now();
    const gzipSize = await oneInstaller(installer, { ...auth, ...gzip });
    const prepareSeconds = (performance.now() - prepareStarted) / 1000;
    const plainSize = await oneInstaller(installer, { ...auth, ...identity });

    const bareFor = async (size: number, name: string) => {
      const file = path.join(scratch, name);
      sameSizeFile(base, size, file);
      const bare = await startBackground<{ port: number }>('static-server.ts', { file });
      servers.push(bare);
      return { url: `http://127.0.0.1:${bare.message.port}/file`, pid: bare.pid };
    };
    const barePlain = await bareFor(plainSize, 'same-size.exe');
    const bareGzip = await bareFor(gzipSize, 'same-size.gz');
    const serverPid = server.child.pid ?? 0;
    const staticUrl = `${server.publicUrl}/downloads/stable/${path.basename(base)}`;

    const cases: [string, number, string, Record<string, string>][] = [
      ['bare node http, same size', barePlain.pid, barePlain.url, identity],
      ['optralis /downloads (the base)', serverPid, staticUrl, identity],
      ['optralis personalized installer', serverPid, installer, { ...auth, ...identity }],
      ['bare node http, same size as gzip', bareGzip.pid, bareGzip.url, identity],
      ['optralis /downloads .gz (the base)', serverPid, staticUrl, gzip],
      ['optralis personalized installer, gzip', serverPid, installer, { ...auth, ...gzip }],
    ];
    const results = new Map<string, Measured>();
    for (const [name, pid, url, headers] of cases) {
      await measure(pid, url, headers, { count: 2, concurrency: 2 });
      results.set(name, await measure(pid, url, headers, options));
    }
    const result = (name: string) => results.get(name) as Measured;
    const plain = result('optralis personalized installer');
    const compressed = result('optralis personalized installer, gzip');
    const bare = result('bare node http, same size');
    const bareCompressed = result('bare node http, same size as gzip');
    return {
      name: 'installer downloads',
      rows: [...results].map(([name, measured]) => ({
        download: name,
        'MB each': measured.size / MB,
        'MB/s': measured.mbPerSecond,
        'server cores': measured.cores,
        'MB/s per core': measured.mbPerCore,
        'RSS growth MB': measured.rssGrowthMb,
      })),
      notes: [
        `${options.count} downloads per case, ${options.concurrency} at a time, over loopback HTTP.`,
        `First gzip installer of this build (compresses the shared part once): ${prepareSeconds.toFixed(1)} s.`,
        `Installer ${(plainSize / MB).toFixed(0)} MB plain, ${(gzipSize / MB).toFixed(0)} MB gzip; ` +
          `memory counts as flat up to ${FLAT_RSS_EXCESS_MB} MB of RSS growth beyond the bare server's.`,
      ],
      ratios: [
        {
          name: 'personalized installer / bare static file, per server core',
          value: plain.mbPerCore / bare.mbPerCore,
        },
        {
          name: 'gzip personalized installer / bare static file, per server core',
          value: compressed.mbPerCore / bareCompressed.mbPerCore,
        },
        {
          name: 'personalized installer MB/s / bare static file MB/s',
          value: plain.mbPerSecond / bare.mbPerSecond,
          target: { op: '>=', value: 0.8 },
        },
        {
          name: 'gzip personalized installer MB/s / bare static file MB/s',
          value: compressed.mbPerSecond / bareCompressed.mbPerSecond,
          target: { op: '>=', value: 0.8 },
        },
        {
          // Not a ratio but a bound in MB: flat means streaming, as the bare server does.
          name: `server RSS growth beyond bare static, ${options.concurrency} installers at once, MB`,
          value: Math.max(
            plain.rssGrowthMb - bare.rssGrowthMb,
            compressed.rssGrowthMb - bareCompressed.rssGrowthMb,
          ),
          target: { op: '<=', value: FLAT_RSS_EXCESS_MB },
        },
      ],
      metrics: {
        prepare_seconds: prepareSeconds,
        installer_rss_growth_mb: plain.rssGrowthMb,
        installer_gzip_rss_growth_mb: compressed.rssGrowthMb,
      },
    };
  } finally {
    await Promise.all(servers.map((running) => running.stop()));
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
