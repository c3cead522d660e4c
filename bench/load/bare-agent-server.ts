// Baseline for the agent API: a bare Node https server with mutual TLS and the same CA, that
// reads the body, inflates and parses it, and answers 200. It prints its port, then runs until
// killed.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { issueServerCertificate, loadCa } from '../../packages/server/src/ca';

const { caDir } = JSON.parse(process.argv[2] ?? '{}') as { caDir: string };
const ca = await loadCa(caDir);
const tlsPair = await issueServerCertificate(ca, ['localhost', '127.0.0.1'], {
  now: new Date(),
  lifetimeDays: 1,
});
const server = https.createServer(
  {
    cert: tlsPair.certificatePem,
    key: tlsPair.keyPem,
    ca: ca.certificatePem,
    requestCert: true,
    rejectUnauthorized: true,
    keepAliveTimeout: 75_000,
  },
  (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
      JSON.parse(text.toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":"ok"}');
    });
  },
);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
