// Load generator: many agents in one process, each with the agent's own transport (one kept
// connection, TLS sessions cached), sending a heartbeat every `intervalMs` until told to stop.
import { AgentTransport } from '../../packages/agent/src/transport';
import { readInput } from '../lib/input';

interface Input {
  url: string;
  identities: { cert: string; key: string }[];
  ca: string;
  intervalMs: number;
  durationMs: number;
}

const input = await readInput<Input>();
const body = { version: '1.0.0', platform: 'linux', arch: 'amd64', uptime_seconds: 1 };
const statuses: Record<string, number> = {};
let stopAt = Date.now() + input.durationMs;
process.on('message', (message) => {
  if (message === 'stop') stopAt = 0;
});

await Promise.all(
  input.identities.map(async (identity, index) => {
    const transport = new AgentTransport(input.url, {
      certificatePem: identity.cert,
      keyPem: identity.key,
      caPem: input.ca,
    });
    // Spread the agents over the interval, as a real fleet is.
    await new Promise((resolve) =>
      setTimeout(resolve, (index * input.intervalMs) / input.identities.length),
    );
    while (Date.now() < stopAt) {
      const started = Date.now();
      const status = await transport.postJson('/heartbeat', body).then(
        (response) => String(response.status),
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
      const pause = Math.max(0, input.intervalMs - (Date.now() - started));
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, stopAt - Date.now())));
    }
    transport.close();
  }),
);
process.send?.({ statuses });
process.disconnect?.();
