// Load generator for the agent API: heartbeats over kept-alive connections, one new TLS
// connection per heartbeat, or bare mutual-TLS handshakes. Runs for a fixed duration.
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { gzipSync } from 'node:zlib';
import { readInput } from '../lib/input';

export interface HeartbeatLoad {
  url: string;
  mode: 'keepalive' | 'handshake' | 'tls-only';
  identities: { cert: string; key: string }[];
  ca: string;
  connections: number;
  durationMs: number;
  bodyBytes: number;
}

const input = await readInput<HeartbeatLoad>();
const target = new URL(input.url);

/** A realistic heartbeat padded to about `size` bytes of JSON, gzip-compressed. */
function heartbeatBody(size: number): Buffer {
  const base = {
    version: '1.0.0',
    platform: 'linux',
    arch: 'amd64',
    uptime_seconds: 123_456,
    cpu_percent: 12.5,
    memory: { total_bytes: 8_000_000_000, used_bytes: 3_200_000_000 },
    disk: { total_bytes: 500_000_000_000, used_bytes: 120_000_000_000 },
    temperature_c: 48.5,
  };
  let json = JSON.stringify(base);
  const filler: string[] = [];
  while (json.length < size) {
    filler.push(`sensor-${filler.length}:${(filler.length * 7919) % 1000}`);
    json = JSON.stringify({ ...base, labels: filler.join(',') });
  }
  return gzipSync(json);
}

const body = heartbeatBody(input.bodyBytes);

interface Identity {
  cert: string;
  key: string;
}

/**
 * One TLS context per identity, made once: building it per connection (passing cert, key and CA
 * every time) would make the load generator, not the server, the bottleneck.
 */
const contexts = new Map<Identity, tls.SecureContext>();
function contextOf(identity: Identity): tls.SecureContext {
  let context = contexts.get(identity);
  if (!context) {
    context = tls.createSecureContext({ cert: identity.cert, key: identity.key, ca: input.ca });
    contexts.set(identity, context);
  }
  return context;
}

/** A heartbeat on the agent's kept connection, or on a new connection (`agent` false). */
function post(agent: https.Agent | false, identity: Identity): Promise<number> {
  // `secureContext` reaches tls.connect; Node's https types do not list it.
  const options: https.RequestOptions & { secureContext: tls.SecureContext } = {
    host: target.hostname,
    port: target.port,
    path: '/heartbeat',
    method: 'POST',
    agent,
    secureContext: contextOf(identity),
    servername: 'localhost',
    headers: {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'content-length': body.length,
    },
  };
  return new Promise((resolve, reject) => {
    const request = https.request(options, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A full mutual-TLS handshake and nothing else; no session is offered, so none is resumed. */
function handshake(identity: Identity): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.hostname,
      port: Number(target.port),
      secureContext: contextOf(identity),
      servername: 'localhost',
    });
    socket.once('secureConnect', () => {
      socket.end();
      resolve(socket.authorized ? 200 : 0);
    });
    socket.once('error', reject);
  });
}

const deadline = performance.now() + input.durationMs;
const statuses: Record<string, number> = {};
let completed = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: input.connections }, async (_, index) => {
    const identity = input.identities[index % input.identities.length];
    if (!identity) throw new Error('no identity');
    // Keep-alive: one connection per loop, kept. Otherwise `agent: false` makes a fresh
    // connection (and a full handshake, without a cached session) for every heartbeat.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, maxCachedSessions: 0 });
    while (performance.now() < deadline) {
      const status =
        input.mode === 'tls-only'
          ? await handshake(identity)
          : await post(input.mode === 'keepalive' ? agent : false, identity);
      statuses[status] = (statuses[status] ?? 0) + 1;
      completed++;
    }
    agent.destroy();
  }),
);
process.send?.({ completed, elapsedMs: performance.now() - started, statuses });
