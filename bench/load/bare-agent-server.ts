// Baselines for the agent API, with mutual TLS and the same CA: a bare Node https server, or a
// bare Fastify server (`framework: 'fastify'`), that reads the body, inflates and parses it and
// answers 200. It sends its port, then runs until killed.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { issueServerCertificate, loadCa } from '../../packages/server/src/ca';
import { readInput } from '../lib/input';

interface Input {
  caDir: string;
  framework?: 'node' | 'fastify';
}

const input = await readInput<Input>();
const ca = await loadCa(input.caDir);
const tlsPair = await issueServerCertificate(ca, ['localhost', '127.0.0.1'], {
  now: new Date(),
  lifetimeDays: 1,
});
const tlsOptions = {
  cert: tlsPair.certificatePem,
  key: tlsPair.keyPem,
  ca: ca.certificatePem,
  requestCert: true,
  rejectUnauthorized: true,
};

function decode(raw: Buffer): unknown {
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return JSON.parse(text.toString('utf8'));
}

async function listenNode(): Promise<{ port: number; close(): Promise<void> }> {
  const server = https.createServer(
    { ...tlsOptions, keepAliveTimeout: 75_000 },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        decode(Buffer.concat(chunks));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status":"ok"}');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function listenFastify(): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify({ https: tlsOptions, keepAliveTimeout: 75_000 });
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, decode(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.post('/heartbeat', async () => ({ status: 'ok' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

const server = input.framework === 'fastify' ? await listenFastify() : await listenNode();
process.send?.({ port: server.port });
// Stop on SIGTERM through a normal exit, so that a CPU profile (--cpu-prof) gets written.
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
