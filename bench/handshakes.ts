import { METRICS_TOKEN, readCounters } from './lib/metrics';
import { enrollIdentities, startLoad, startServerProcess } from './lib/processes';
import type { BenchResult } from './lib/report';

export interface HandshakeOptions {
  agents: number;
  intervalMs: number;
  warmupMs: number;
  windowMs: number;
}

/**
 * TLS handshakes per heartbeat at steady state with real agent transports: each agent keeps its
 * connection, so after the first handshake almost every heartbeat reuses it. The counts come
 * from the server's own metrics.
 */
export async function handshakeBench(options: HandshakeOptions): Promise<BenchResult> {
  const server = await startServerProcess({ OPTRALIS_METRICS_TOKEN: METRICS_TOKEN }, 'handshakes');
  try {
    const { identities, ca } = await enrollIdentities(server, options.agents);
    const scrape = () => readCounters(server.publicUrl);
    const running = startLoad<{ statuses: Record<string, number> }>('agents.ts', {
      url: server.agentApiUrl,
      identities,
      ca,
      intervalMs: options.intervalMs,
      // Long enough for start-up, warm-up and the window; stopped by its own clock.
      durationMs: 60_000 + options.warmupMs + options.windowMs,
    });
    // The window opens once every agent has connected, plus the warm-up.
    for (let waited = 0; (await scrape()).handshakes < options.agents; waited += 250) {
      if (waited > 120_000) throw new Error('the agents never all connected');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await new Promise((resolve) => setTimeout(resolve, options.warmupMs));
    const start = await scrape();
    await new Promise((resolve) => setTimeout(resolve, options.windowMs));
    const end = await scrape();
    running.stop();
    const { statuses } = await running.result;
    const heartbeats = end.heartbeats - start.heartbeats;
    const handshakes = end.handshakes - start.handshakes;
    return {
      name: 'handshakes per heartbeat',
      rows: [
        {
          phase: 'warm-up (first connections)',
          handshakes: start.handshakes,
          heartbeats: start.heartbeats,
        },
        { phase: 'steady state', handshakes, heartbeats },
      ],
      notes: [
        `${options.agents} agents, one heartbeat each every ${options.intervalMs} ms; ` +
          `steady window ${options.windowMs / 1000} s; resumed handshakes in it: ${end.resumed - start.resumed}.`,
        `Agent-side outcomes: ${JSON.stringify(statuses)}`,
      ],
      ratios: [
        {
          name: 'handshakes / heartbeat at steady state',
          value: heartbeats > 0 ? handshakes / heartbeats : Number.POSITIVE_INFINITY,
          target: { op: '<=', value: 0.02 },
        },
      ],
    };
  } finally {
    await server.stop();
  }
}
