import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { type CertificateAuthority, issueServerCertificate } from '../../packages/server/src/ca';

export interface FakeAgentApi {
  url: string;
  /** Heartbeat bodies received, oldest first. */
  heartbeats: Record<string, unknown>[];
  /** What the next heartbeats are answered with. */
  answer: Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * An agent API that an attacker controls (a compromised proxy or server on the path): it has a
 * certificate the agent trusts, so TLS alone cannot tell it apart, and it answers heartbeats
 * with whatever update offer the test forges or replays.
 */
export async function fakeAgentApi(ca: CertificateAuthority): Promise<FakeAgentApi> {
  const tls = await issueServerCertificate(ca, ['127.0.0.1', 'localhost'], {
    now: new Date(),
    lifetimeDays: 1,
  });
  const state: FakeAgentApi = {
    url: '',
    heartbeats: [],
    answer: { status: 'ok' },
    close: async () => {},
  };
  const server = https.createServer({ cert: tls.certificatePem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/heartbeat') {
        const body = Buffer.concat(chunks);
        const text = body[0] === 0x1f ? gunzipSync(body) : body;
        state.heartbeats.push(JSON.parse(text.toString('utf8')));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state.answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
