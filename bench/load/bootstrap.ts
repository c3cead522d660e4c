// Load generator: POST /api/public/bootstrap with fresh CSRs at a fixed concurrency.
import { performance } from 'node:perf_hooks';
import { createKeyAndRequest } from '../../packages/agent/src/crypto';
import { readInput } from '../lib/input';

interface Input {
  url: string;
  token: string;
  count: number;
  concurrency: number;
  prefix: string;
}

const input = await readInput<Input>();

// Keys and CSRs are made before the clock starts: only the server's work is timed.
const requests: string[] = [];
for (let i = 0; i < input.count; i++) {
  const { csrPem } = await createKeyAndRequest(`${input.prefix}-${i}`);
  requests.push(
    JSON.stringify({
      token: input.token,
      hostname: `${input.prefix}-${i}`,
      hardware_id: `${input.prefix}-hw-${i}`,
      arch: 'amd64',
      platform: 'linux',
      csr: csrPem,
    }),
  );
}

const latencies: number[] = [];
const statuses: Record<string, number> = {};
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: input.concurrency }, async () => {
    while (next < requests.length) {
      const body = requests[next++];
      const t0 = performance.now();
      const response = await fetch(`${input.url}/api/public/bootstrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }),
);
const elapsedMs = performance.now() - started;
process.send?.({ elapsedMs, latencies, statuses });
