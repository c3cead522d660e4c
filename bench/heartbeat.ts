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

interface Measured {
  rate: number;
  cores: number;
  /** Heartbeats one fully busy server core would answer per second. */
  perCore: number;
}

/**
 * Heartbeat ingest on the agent API against bare servers with mutual TLS and the same CA that
 * only inflate and parse the body (Node's https, and Fastify to show what the framework costs);
 * and one new TLS connection per heartbeat against bare mutual-TLS handshakes. Each server runs
 * alone in its own process; the load comes from another process.
 *
 * On a small machine the load generator needs about as much CPU as a bare server, so the
 * request rate shows the generator as much as the server. What a server can carry is its CPU
 * time per request: the ratios compare heartbeats per second of server CPU.
 */
export async function heartbeatBench(options: HeartbeatOptions): Promise<BenchResult> {
  const server = await startServerProcess({}, 'heartbeat');
  const caDir = path.join(server.env.OPTRALIS_DATA_DIR ?? '', 'ca');
  const bare = await startBackground<{ port: number }>('bare-agent-server.ts', { caDir });
  const fastify = await startBackground<{ port: number }>('bare-agent-server.ts', {
    caDir,
    framework: 'fastify',
  });
  try {
    const { identities, ca } = await enrollIdentities(server, options.connections);
    const load = (url: string, mode: string, durationMs: number) =>
      runLoad<LoadResult>('heartbeat.ts', {
        url,
        mode,
        identities,
        ca,
        connections: options.connections,
        durationMs,
        bodyBytes: options.bodyBytes,
      });
    const measure = async (url: string, mode: string, pid: number): Promise<Measured> => {
      await load(url, mode, 1000);
      const cpuBefore = cpuMillis(pid);
      const result = await load(url, mode, options.durationMs);
      const cpu = cpuMillis(pid) - cpuBefore;
      const bad = result.completed - (result.statuses['200'] ?? 0);
      if (bad > 0) throw new Error(`${mode} on ${url}: ${JSON.stringify(result.statuses)}`);
      return {
        rate: (result.completed * 1000) / result.elapsedMs,
        cores: cpu / result.elapsedMs,
        perCore: (result.completed * 1000) / Math.max(cpu, 1),
      };
    };
    const bareUrl = (port: number) => `https://127.0.0.1:${port}`;
    const serverPid = server.child.pid ?? 0;

    const ingest = await measure(server.agentApiUrl, 'keepalive', serverPid);
    const bareIngest = await measure(bareUrl(bare.message.port), 'keepalive', bare.pid);
    const fastifyIngest = await measure(bareUrl(fastify.message.port), 'keepalive', fastify.pid);
    const handshakes = await measure(server.agentApiUrl, 'handshake', serverPid);
    const bareHandshakes = await measure(bareUrl(bare.message.port), 'tls-only', bare.pid);

    const row = (name: string, serverName: string, measured: Measured) => ({
      case: name,
      server: serverName,
      'req/s': measured.rate,
      'server cores': measured.cores,
      'CPU µs/req': 1e6 / measured.perCore,
      'req/s per core': measured.perCore,
    });
    const fleetPerCore = Math.floor(ingest.perCore * 10);
    return {
      name: 'heartbeat ingest',
      rows: [
        row('kept-alive heartbeats', 'optralis', ingest),
        row('kept-alive heartbeats', 'bare https', bareIngest),
        row('kept-alive heartbeats', 'bare fastify', fastifyIngest),
        row('new TLS connection per heartbeat', 'optralis', handshakes),
        row('mutual-TLS handshake only', 'bare https', bareHandshakes),
      ],
      notes: [
        `${options.connections} connections for ${options.durationMs / 1000} s each, ` +
          `${options.bodyBytes}-byte JSON bodies gzip-compressed.`,
        `Largest fleet one server core sustains at a 10-second interval: about ${fleetPerCore} machines.`,
        `Request rates by throughput instead of per core: ingest ${(ingest.rate / bareIngest.rate).toFixed(3)}, ` +
          `with handshake ${(handshakes.rate / bareHandshakes.rate).toFixed(3)}.`,
      ],
      ratios: [
        {
          name: 'ingest / bare https (per server core)',
          value: ingest.perCore / bareIngest.perCore,
          target: { op: '>=', value: 0.75 },
        },
        {
          name: 'heartbeat with handshake / bare handshake (per server core)',
          value: handshakes.perCore / bareHandshakes.perCore,
          target: { op: '>=', value: 0.8 },
        },
      ],
      metrics: { fleet_per_core_at_10s: fleetPerCore },
    };
  } finally {
    await fastify.stop();
    await bare.stop();
    await server.stop();
  }
}
