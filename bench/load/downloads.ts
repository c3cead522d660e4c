// Load generator: `count` downloads of one URL, `concurrency` at a time, each read to the end
// and thrown away. Reports the bytes, the time and the statuses.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { readInput } from '../lib/input';

interface Input {
  url: string;
  headers: Record<string, string>;
  count: number;
  concurrency: number;
}

const input = await readInput<Input>();

function download(): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(input.url, { headers: input.headers, agent: false }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

const statuses: Record<string, number> = {};
const sizes = new Set<number>();
let bytes = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: input.concurrency }, async () => {
    while (next < input.count) {
      next++;
      const result = await download();
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      sizes.add(result.bytes);
      bytes += result.bytes;
    }
  }),
);
process.send?.({
  elapsedMs: performance.now() - started,
  bytes,
  statuses,
  sizes: [...sizes],
});
