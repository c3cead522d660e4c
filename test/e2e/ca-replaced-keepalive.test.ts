import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, optralis } from '../support/processes';
import { startTestServer, type TestServer } from '../support/server';

interface Answer {
  status: number;
  code: string | undefined;
  reusedSocket: boolean;
}

describe('a replaced CA shuts out connections that were opened before', () => {
  let server: TestServer;
  let agent: https.Agent;
  let tls: { cert: string; key: string; ca: string };

  beforeAll(async () => {
    server = await startTestServer();
    const clientId = json<{ id: string }>(
      await optralis(['--json', 'client', 'create', 'Kept alive'], server.env),
    ).id;
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', clientId], server.env),
    ).token;
    const response = await fetch(`${server.publicUrl}/api/public/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname: 'kept-alive', arch: 'amd64', platform: 'linux' }),
    });
    const body = (await response.json()) as Record<string, string>;
    tls = { cert: body.certificate ?? '', key: body.private_key ?? '', ca: body.ca_cert ?? '' };
    // One socket, kept open between requests, as the agent keeps its connection.
    agent = new https.Agent({ keepAlive: true, maxSockets: 1, ...tls });
  });

  afterAll(async () => {
    agent?.destroy();
    await server?.stop();
  });

  function health(): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = https.get(`${server.agentApiUrl}/health`, { agent }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => {
          const parsed = JSON.parse(text) as { error?: { code: string } };
          resolve({
            status: response.statusCode ?? 0,
            code: parsed.error?.code,
            reusedSocket: request.reusedSocket,
          });
        });
      });
      request.on('error', reject);
    });
  }

  it('answers the old certificate on its open connection until ca init --force, then refuses it', async () => {
    expect(await health()).toEqual({ status: 200, code: undefined, reusedSocket: false });
    expect(await health()).toEqual({ status: 200, code: undefined, reusedSocket: true });

    const before = server.ctx.caTrust;
    const replaced = await optralis(['ca', 'init', '--force'], server.env);
    expect(replaced.code, replaced.stderr).toBe(0);
    for (let attempt = 0; attempt < 600 && server.ctx.caTrust === before; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(server.ctx.caTrust).not.toBe(before);

    expect(await health()).toEqual({
      status: 401,
      code: 'client_certificate_invalid',
      reusedSocket: true,
    });

    const [event] = json<{ action: string; actor: string; details: unknown }[]>(
      await optralis(['--json', 'audit', '--limit', '1'], server.env),
    );
    expect(event).toMatchObject({
      action: 'ca.created',
      actor: 'cli',
      details: { replaced: true },
    });
  });
});
