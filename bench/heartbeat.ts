import path from 'node:path';
import {
  cpuMillis,
  enrollIdentities,
  runLoad,
  startBackground,
  startServerProcess,
} from './lib/processes';
import type { BenchResult } from './lib/report';

interface LoadResult {
  completed: number;
  elapsedMs: number;
  statuses: Record<string, number>;
}

export interface HeartbeatOptions {
  connections: number;
  durationMs: number;
  bodyBytes: number;
}

/**
 * Heartbeat ingest on the agent API against a bare Node https server with mutual TLS and the
 * same CA that only inflates and parses the body; and one new TLS connection per heartbeat
 * against bare mutual-TLS handshakes. Each server runs alone in its own process; the load comes
 * from another process.
 */
export async function heartbeatBench(options: HeartbeatOptions): Promise<BenchResult> {
  const server = await startServerProcess();
  const bare = await startBackground<{ port: number }>('bare-agent-server.ts', {
    caDir: path.join(server.env.OPTRALIS_DATA_DIR ?? '', 'ca'),
  });
  try {
    const { identities, ca } = await enrollIdentities(server, options.connections);
    const bareUrl = `https://127.0.0.1:${bare.message.port}`;
    const load = (url: string, mode: string, durationMs = options.durationMs) =>
      runLoad<LoadResult>('heartbeat.ts', {
        url,
        mode,
        identities,
        ca,
        connections: options.connections,
        durationMs,
        bodyBytes: options.bodyBytes,
      });
    const measure = async (url: string, mode: string, pid: number) => {
      await load(url, mode, 1000);
      const cpuBefore = cpuMillis(pid);
      const result = await load(url, mode);
      const cores = (cpuMillis(pid) - cpuBefore) / result.elapsedMs;
      const bad = result.completed - (result.statuses['200'] ?? 0);
      if (bad > 0) throw new Error(`${mode} on ${url}: ${JSON.stringify(result.statuses)}`);
      return { rate: (result.completed * 1000) / result.elapsedMs, cores };
    };

    const ingest = await measure(server.agentApiUrl, 'keepalive', server.child.pid ?? 0);
    const bareIngest = await measure(bareUrl, 'keepalive', bare.pid);
    const handshakes = await measure(server.agentApiUrl, 'handshake', server.child.pid ?? 0);
    const bareHandshakes = await measure(bareUrl, 'tls-only', bare.pid);

    const fleetPerCore = Math.floor((ingest.rate / Math.max(ingest.cores, 0.01)) * 10);
    return {
      name: 'heartbeat ingest',
      rows: [
        {
          case: 'kept-alive heartbeats',
          server: 'optralis',
          'req/s': ingest.rate,
          'server cores': ingest.cores,
        },
        {
          case: 'kept-alive heartbeats',
          server: 'bare https',
          'req/s': bareIngest.rate,
          'server cores': bareIngest.cores,
        },
        {
          case: 'new TLS connection per heartbeat',
          server: 'optralis',
          'req/s': handshakes.rate,
          'server cores': handshakes.cores,
        },
        {
          case: 'mutual-TLS handshake only',
          server: 'bare tls',
          'req/s': bareHandshakes.rate,
          'server cores': bareHandshakes.cores,
        },
      ],
      notes: [
        `${options.connections} connections, ${options.bodyBytes}-byte JSON bodies gzip-compressed.`,
        `Largest fleet one server core sustains at a 10-second interval: about ${fleetPerCore} machines.`,
      ],
      ratios: [
        {
          name: 'ingest / bare https',
          value: ingest.rate / bareIngest.rate,
          target: { op: '>=', value: 0.75 },
        },
        {
          name: 'heartbeat with handshake / bare handshake',
          value: handshakes.rate / bareHandshakes.rate,
          target: { op: '>=', value: 0.8 },
        },
      ],
    };
  } finally {
    await bare.stop();
    await server.stop();
  }
}
