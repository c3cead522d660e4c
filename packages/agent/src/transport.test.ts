import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/server';
import { initCa, issueServerCertificate, loadCa } from '../../server/src/ca';
import { AgentTransport, MAX_RESPONSE_BYTES } from './transport';

/** What the test server answers: a body, sent with a Content-Length or in chunks. */
let answer: { body: string; chunked: boolean } = { body: '{}', chunked: false };

/** The last request the test server received, exactly as it came off the wire. */
let received: { method: string; headers: IncomingHttpHeaders; body: Buffer } | undefined;

describe('the agent sends gzip bodies and reads answers up to a size limit', () => {
  let server: https.Server;
  let url: string;
  let material: { certificatePem: string; keyPem: string; caPem: string };

  beforeAll(async () => {
    const dir = path.join(tempDir('transport'), 'ca');
    await initCa(dir, { now: new Date() });
    const ca = await loadCa(dir);
    const options = { now: new Date(), lifetimeDays: 1 };
    const tls = await issueServerCertificate(ca, ['127.0.0.1'], options);
    const client = await issueServerCertificate(ca, ['agent.test'], options);
    material = { ...client, caPem: ca.certificatePem };
    server = https.createServer({ cert: tls.certificatePem, key: tls.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received = { method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        if (answer.chunked) {
          res.writeHead(200, { 'content-type': 'application/json' });
          // Written in pieces without a length: only counting what arrives can stop it.
          for (let at = 0; at < answer.body.length; at += 16_384) {
            res.write(answer.body.slice(at, at + 16_384));
          }
          res.end();
          return;
        }
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(answer.body),
        });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (bytes: number) => JSON.stringify({ status: 'ok', pad: 'x'.repeat(bytes - 24) });

  it('sends its JSON bodies gzip-compressed, and says so', async () => {
    answer = { body: '{}', chunked: false };
    const value = { version: '1.0.0', note: 'é'.repeat(2000) };
    const transport = new AgentTransport(url, material);
    await transport.postJson('/heartbeat', value);
    transport.close();

    expect(received?.method).toBe('POST');
    expect(received?.headers['content-encoding']).toBe('gzip');
    expect(received?.headers['content-type']).toBe('application/json');
    const body = received?.body ?? Buffer.alloc(0);
    expect(Number(received?.headers['content-length'])).toBe(body.length);
    // RFC 1952: every gzip member starts with 1f 8b, then 08 for deflate.
    expect([...body.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
    expect(body.length).toBeLessThan(Buffer.byteLength(JSON.stringify(value)));
    expect(JSON.parse(gunzipSync(body).toString('utf8'))).toEqual(value);
  });

  it('sends a GET without a body or an encoding', async () => {
    answer = { body: '{}', chunked: false };
    const transport = new AgentTransport(url, material);
    await transport.getJson('/health');
    transport.close();
    expect(received?.method).toBe('GET');
    expect(received?.headers['content-encoding']).toBeUndefined();
    expect(received?.body.length).toBe(0);
  });

  it('reads an answer of exactly the limit', async () => {
    answer = { body: json(1000), chunked: false };
    expect(Buffer.byteLength(answer.body)).toBe(1000);
    const transport = new AgentTransport(url, material, 1000);
    const response = await transport.postJson('/heartbeat', { version: '1.0.0' });
    transport.close();
    expect(response.status).toBe(200);
    expect((response.body as { status: string }).status).toBe('ok');
  });

  it('fails a request whose declared length is over the limit, and works again after', async () => {
    const transport = new AgentTransport(url, material, 1000);
    answer = { body: json(1001), chunked: false };
    await expect(transport.postJson('/heartbeat', {})).rejects.toMatchObject({
      code: 'response_too_large',
      message: "the server's answer is larger than 1000 bytes",
    });
    answer = { body: json(500), chunked: false };
    expect((await transport.postJson('/heartbeat', {})).status).toBe(200);
    transport.close();
  });

  it('fails an endless answer without a length as soon as it passes the limit', async () => {
    answer = { body: json(3 * MAX_RESPONSE_BYTES), chunked: true };
    const transport = new AgentTransport(url, material);
    await expect(transport.getJson('/health')).rejects.toMatchObject({
      code: 'response_too_large',
      message: `the server's answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
    });
    transport.close();
  });
});
