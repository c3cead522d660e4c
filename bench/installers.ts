import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  cli,
  cpuMillis,
  ROOT,
  rssBytes,
  type ServerProcess,
  scratchDir,
  startServerProcess,
} from './lib/processes';
import type { BenchResult } from './lib/report';

const MB = 1024 * 1024;

export interface InstallerBenchOptions {
  /** Downloads running at once in each round. */
  concurrency: number;
  rounds: number;
}

/** The Windows agent as the release build makes it, with its precompressed .gz sibling. */
function buildWindowsAgent(out: string): Promise<void> {
  const args = ['scripts/build-agent.mjs', '-v', '1.0.0', '-t', 'windows-amd64', '-o', out];
  return new Promise((resolve, reject) => {
    const log = fs.openSync(path.join(out, 'build.log'), 'w');
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', log, log] });
    child.once('error', reject);
    child.once('exit', (code) => {
      fs.closeSync(log);
      if (code === 0) resolve();
      else reject(new Error(`the Windows agent build failed (${code}); see ${out}/build.log`));
    });
  });
}

/** Downloads `url` and drops the bytes; resolves with how many arrived. */
function fetchCounting(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`${url} answered ${response.statusCode}`));
          response.resume();
          return;
        }
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        response.on('end', () => resolve(bytes));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

interface Measured {
  seconds: number;
  bytes: number;
  downloads: number;
  cpuMs: number;
  peakRssGrowth: number;
}

/** `rounds` rounds of `concurrency` downloads at once, with the server's CPU and peak RSS. */
async function measure(
  server: ServerProcess,
  url: string,
  headers: Record<string, string>,
  options: InstallerBenchOptions,
): Promise<Measured> {
  const pid = server.child.pid ?? 0;
  const rssBefore = rssBytes(pid);
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 50);
  const cpuBefore = cpuMillis(pid);
  const started = performance.now();
  let bytes = 0;
  for (let round = 0; round < options.rounds; round += 1) {
    const sizes = await Promise.all(
      Array.from({ length: options.concurrency }, () => fetchCounting(url, headers)),
    );
    bytes += sizes.reduce((sum, size) => sum + size, 0);
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return {
    seconds,
    bytes,
    downloads: options.concurrency * options.rounds,
    cpuMs: cpuMillis(pid) - cpuBefore,
    peakRssGrowth: Math.max(peak, rssBytes(pid)) - rssBefore,
  };
}

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
  return ((await response.json()) as { token: string }).token;
}

/**
 * Personalized Windows installers against the plain download of the same build: the same
 * ~85 MB leave the server either way, so the baseline is `GET /downloads/stable/{file}` (a file
 * and its precompressed .gz streamed by @fastify/send) and the ratios show what personalizing
 * costs (a new token per download, the payload, headers rewritten, gzip stitched from a
 * precompressed shared part). Memory is the server's peak RSS growth during each round.
 */
export async function installerBench(options: InstallerBenchOptions): Promise<BenchResult> {
  const out = scratchDir('installers');
  try {
    await buildWindowsAgent(out);
    const server = await startServerProcess({ OPTRALIS_DOWNLOADS_DIR: out }, 'installers');
    try {
      const session = await adminSession(server);
      const auth = { authorization: `Bearer ${session}` };
      const plain = `${server.publicUrl}/downloads/stable/optralis-agent-v1.0.0.exe`;
      const installer = `${server.publicUrl}/api/installer/windows?max_usage=50`;

      // The first gzip installer compresses the shared part of the build once.
      const prepareStarted = performance.now();
      await fetchCounting(installer, { ...auth, 'accept-encoding': 'gzip' });
      const prepareSeconds = (performance.now() - prepareStarted) / 1000;

      const runs: Array<[string, string, Record<string, string>]> = [
        ['download (baseline)', plain, { 'accept-encoding': 'identity' }],
        ['installer', installer, { ...auth, 'accept-encoding': 'identity' }],
        ['download .gz (baseline)', plain, { 'accept-encoding': 'gzip' }],
        ['installer gzip', installer, { ...auth, 'accept-encoding': 'gzip' }],
      ];
      const results = new Map<string, Measured>();
      for (const [name, url, headers] of runs) {
        results.set(name, await measure(server, url, headers, options));
      }

      const rows = [...results].map(([name, result]) => ({
        what: name,
        downloads: result.downloads,
        'MB each': result.bytes / result.downloads / MB,
        'MB/s': result.bytes / MB / result.seconds,
        'server CPU ms each': result.cpuMs / result.downloads,
        'peak RSS growth MB': result.peakRssGrowth / MB,
      }));
      const rate = (name: string) => {
        const result = results.get(name) as Measured;
        return result.downloads / result.seconds;
      };
      const growth = (results.get('installer') as Measured).peakRssGrowth / MB;
      const growthGzip = (results.get('installer gzip') as Measured).peakRssGrowth / MB;
      return {
        name: `installers (${options.concurrency} at once × ${options.rounds})`,
        rows,
        notes: [
          `first gzip installer, compressing the shared part: ${prepareSeconds.toFixed(1)} s`,
        ],
        ratios: [
          {
            name: 'installers per second / plain downloads per second',
            value: rate('installer') / rate('download (baseline)'),
            target: { op: '>=', value: 0.7 },
          },
          {
            name: 'gzip installers per second / precompressed downloads per second',
            value: rate('installer gzip') / rate('download .gz (baseline)'),
            target: { op: '>=', value: 0.7 },
          },
        ],
        metrics: {
          prepare_seconds: prepareSeconds,
          installer_peak_rss_growth_mb: growth,
          installer_gzip_peak_rss_growth_mb: growthGzip,
        },
      };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
