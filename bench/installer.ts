import fs from 'node:fs';
import path from 'node:path';
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

export interface InstallerOptions {
  /** Downloads per case. */
  count: number;
  concurrency: number;
}

interface LoadResult {
  elapsedMs: number;
  bytes: number;
  statuses: Record<string, number>;
  sizes: number[];
}

interface Measured {
  mbPerSecond: number;
  cores: number;
  /** Megabytes one fully busy server core would send per second. */
  mbPerCore: number;
  rssIdleMb: number;
  rssPeakMb: number;
}

const MB = 1024 * 1024;
const VERSION = '1.0.0';
const ADMIN = { email: 'admin@localhost', password: 'benchmark-password' };

/** Runs the downloads in their own process while sampling the server's RSS and CPU. */
async function measure(
  pid: number,
  url: string,
  headers: Record<string, string>,
  options: InstallerOptions,
): Promise<Measured> {
  const rssIdleMb = rssBytes(pid) / MB;
  const cpuBefore = cpuMillis(pid);
  const load = startLoad<LoadResult>('downloads.ts', { url, headers, ...options });
  let rssPeakMb = rssIdleMb;
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, rssBytes(pid) / MB);
  }, 50);
  const result = await load.result.finally(() => clearInterval(sampler));
  const cpu = cpuMillis(pid) - cpuBefore;
  if ((result.statuses['200'] ?? 0) !== options.count || result.sizes.length !== 1) {
    throw new Error(`${url}: ${JSON.stringify(result.statuses)}, sizes ${result.sizes.join(', ')}`);
  }
  return {
    mbPerSecond: result.bytes / MB / (result.elapsedMs / 1000),
    cores: cpu / result.elapsedMs,
    mbPerCore: result.bytes / MB / (Math.max(cpu, 1) / 1000),
    rssIdleMb,
    rssPeakMb,
  };
}

async function login(server: ServerProcess): Promise<string> {
  const response = await fetch(`${server.publicUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/**
 * The size of one personalized installer, or undefined when this commit has no such route.
 * The first download also warms the route up.
 */
async function personalizedSize(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  const body = await response.arrayBuffer();
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return body.byteLength;
}

/** A file of exactly `size` bytes that starts with the base executable (so it is not sparse). */
function sameSizeFile(base: string, size: number, file: string): void {
  fs.copyFileSync(base, file);
  const missing = size - fs.statSync(file).size;
  if (missing > 0) fs.appendFileSync(file, Buffer.alloc(missing, 0x5a));
  else if (missing < 0) fs.truncateSync(file, size);
}

/**
 * Personalized Windows installers (the current build plus a payload with a fresh token, per
 * request) against a bare Node http server streaming a file of the same size, and against the
 * product's own static `/downloads` route; with the server's RSS sampled while `concurrency`
 * downloads run at once. Bodies are not compressed (`Accept-Encoding: identity`).
 */
export async function installerBench(options: InstallerOptions): Promise<BenchResult> {
  const build = await ensureAgentBuild({
    version: VERSION,
    channel: 'stable',
    targets: ['windows-amd64'],
  });
  const base = build.files['windows-amd64'];
  const server = await startServerProcess({ OPTRALIS_DOWNLOADS_DIR: build.dir }, 'installer');
  const scratch = scratchDir('installer');
  try {
    const client = await cli<{ id: string }>(server.env, ['client', 'create', 'Benchmark']);
    const auth = { authorization: `Bearer ${await login(server)}`, 'accept-encoding': 'identity' };
    const personalizedUrl = `${server.publicUrl}/api/installer/windows?client_id=${client.id}&max_usage=0`;
    const size = await personalizedSize(personalizedUrl, auth);

    const file = path.join(scratch, 'installer.exe');
    sameSizeFile(base, size ?? fs.statSync(base).size, file);
    const bare = await startBackground<{ port: number }>('static-server.ts', { file });
    const serverPid = server.child.pid ?? 0;
    const identity = { 'accept-encoding': 'identity' };
    const rows: BenchResult['rows'] = [];
    const row = (name: string, measured: Measured) => ({
      download: name,
      'MB/s': measured.mbPerSecond,
      'server cores': measured.cores,
      'MB/s per core': measured.mbPerCore,
      'RSS idle MB': measured.rssIdleMb,
      'RSS peak MB': measured.rssPeakMb,
      'growth MB': measured.rssPeakMb - measured.rssIdleMb,
    });
    try {
      const bareUrl = `http://127.0.0.1:${bare.message.port}/file`;
      await measure(bare.pid, bareUrl, identity, { count: 2, concurrency: 2 });
      const plain = await measure(bare.pid, bareUrl, identity, options);
      rows.push(row('bare node http, same size', plain));

      const staticUrl = `${server.publicUrl}/downloads/stable/${path.basename(base)}`;
      await measure(serverPid, staticUrl, identity, { count: 2, concurrency: 2 });
      rows.push(
        row(
          'optralis /downloads (the base)',
          await measure(serverPid, staticUrl, identity, options),
        ),
      );

      const notes = [
        `${options.count} downloads per case, ${options.concurrency} at a time, ` +
          `${((size ?? fs.statSync(base).size) / MB).toFixed(1)} MB each, over loopback HTTP.`,
      ];
      if (size === undefined) {
        notes.push(
          'GET /api/installer/windows does not exist on this commit: only the static half ran.',
        );
        return { name: 'installer downloads', rows, notes, ratios: [] };
      }
      const personalized = await measure(serverPid, personalizedUrl, auth, options);
      rows.push(row('optralis personalized installer', personalized));
      notes.push(
        `By download rate instead of per core: ${(personalized.mbPerSecond / plain.mbPerSecond).toFixed(3)}.`,
      );
      return {
        name: 'installer downloads',
        rows,
        notes,
        ratios: [
          {
            name: 'personalized installer / bare static file (per server core)',
            value: personalized.mbPerCore / plain.mbPerCore,
            target: { op: '>=', value: 0.8 },
          },
          {
            name: `server RSS growth with ${options.concurrency} downloads / installer size`,
            value: (personalized.rssPeakMb - personalized.rssIdleMb) / (size / MB),
            target: { op: '<=', value: 0.5 },
          },
        ],
      };
    } finally {
      await bare.stop();
    }
  } finally {
    await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
