import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { enrollTestMachine } from '../../../../test/support/machines';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import {
  EC_P256,
  exportPrivateKeyPem,
  initCa,
  issueMachineCertificate,
  loadCa,
  subtle,
  x509,
} from '../ca';
import { createClient } from '../clients/store';
import { findMachine, revokeMachine } from '../machines/store';

const heartbeat = { version: '1.0.0', platform: 'linux', arch: 'amd64' };

async function keyPair() {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  return {
    publicKey: await x509.PublicKey.create(keys.publicKey),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
  };
}

describe('the agent API accepts only machines with a valid certificate of our CA', () => {
  let server: TestServer;
  let clientId: string;
  let ca: string;

  async function enrolledMachine(hostname: string) {
    const { machineId, cert, key } = await enrollTestMachine(server, clientId, hostname);
    return { machineId, cert, key };
  }

  beforeAll(async () => {
    server = await startTestServer();
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    ca = server.ctx.ca.certificatePem;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('takes a gzip heartbeat from an enrolled machine', async () => {
    const machine = await enrolledMachine('ok-01');
    const result = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca, ...machine },
      {
        body: heartbeat,
        gzip: true,
      },
    );
    expect(result).toEqual({
      status: 200,
      body: {
        status: 'ok',
        releases: expect.objectContaining({ statement: expect.stringContaining('sequence') }),
      },
    });
  });

  it('moves the calling machine to the channel it asks for, and only that machine', async () => {
    const machine = await enrolledMachine('channel-01');
    const other = await enrolledMachine('channel-02');
    const moved = await agentRequest(
      `${server.agentApiUrl}/channel`,
      { ca, ...machine },
      { body: { channel: 'beta' } },
    );
    expect(moved).toEqual({
      status: 200,
      body: { status: 'ok', machine_id: machine.machineId, channel: 'beta' },
    });
    expect((await findMachine(server.ctx.db, machine.machineId, clientId))?.channel).toBe('beta');
    expect((await findMachine(server.ctx.db, other.machineId, clientId))?.channel).toBe('stable');

    const wrong = await agentRequest(
      `${server.agentApiUrl}/channel`,
      { ca, ...machine },
      { body: { channel: 'nightly' } },
    );
    expect(wrong.status).toBe(400);
  });

  it('refuses a request without a client certificate', async () => {
    const result = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca },
      { body: heartbeat },
    );
    expect(result.status).toBe(401);
    expect(result.body.error?.code).toBe('client_certificate_required');
  });

  it('refuses a certificate issued by another CA', async () => {
    const otherDir = tempDir('other-ca');
    await initCa(otherDir);
    const other = await loadCa(otherDir);
    const { publicKey, keyPem } = await keyPair();
    const issued = await issueMachineCertificate(
      other,
      publicKey,
      { clientId, machineId: '01HZZZZZZZZZZZZZZZZZZZZZZZ' },
      { now: new Date(), lifetimeDays: 30 },
    );
    const result = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca, cert: issued.pem, key: keyPem },
      { body: heartbeat },
    );
    expect(result.status).toBe(401);
    expect(result.body.error?.code).toBe('client_certificate_invalid');
  });

  it('refuses an expired certificate of our own CA', async () => {
    const { publicKey, keyPem } = await keyPair();
    const issued = await issueMachineCertificate(
      server.ctx.ca,
      publicKey,
      { clientId, machineId: '01HYYYYYYYYYYYYYYYYYYYYYYY' },
      { now: new Date('2024-01-01T00:00:00Z'), lifetimeDays: 30 },
    );
    const result = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca, cert: issued.pem, key: keyPem },
      { body: heartbeat },
    );
    expect(result.status).toBe(401);
    expect(result.body.error?.code).toBe('client_certificate_expired');
  });

  it('refuses a certificate of our CA that the store never issued', async () => {
    const { publicKey, keyPem } = await keyPair();
    const issued = await issueMachineCertificate(
      server.ctx.ca,
      publicKey,
      { clientId, machineId: '01HXXXXXXXXXXXXXXXXXXXXXXX' },
      { now: new Date(), lifetimeDays: 30 },
    );
    const result = await agentRequest(`${server.agentApiUrl}/health`, {
      ca,
      cert: issued.pem,
      key: keyPem,
    });
    expect(result.status).toBe(401);
    expect(result.body.error?.code).toBe('client_certificate_invalid');
  });

  it('refuses a revoked machine from its next request', async () => {
    const machine = await enrolledMachine('revoked-01');
    const url = `${server.agentApiUrl}/heartbeat`;
    expect((await agentRequest(url, { ca, ...machine }, { body: heartbeat })).status).toBe(200);

    expect(await revokeMachine(server.ctx.db, machine.machineId, clientId, new Date())).toBe(true);
    const result = await agentRequest(url, { ca, ...machine }, { body: heartbeat });
    expect(result.status).toBe(403);
    expect(result.body.error?.code).toBe('machine_revoked');
  });

  /** Requests on one kept-alive connection; each answer says which local port carried it. */
  function keptAlive(machine: { cert: string; key: string }, tlsOptions: https.AgentOptions = {}) {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ...tlsOptions });
    const post = (body: unknown) =>
      new Promise<{ status: number; code?: string; port?: number; socket: TLSSocket }>(
        (resolve, reject) => {
          const request = https.request(
            `${server.agentApiUrl}/heartbeat`,
            {
              method: 'POST',
              agent,
              ca,
              cert: machine.cert,
              key: machine.key,
              headers: { 'content-type': 'application/json' },
            },
            (response) => {
              // Read now: the socket goes back to the agent's pool once the body has ended.
              const socket = response.socket as TLSSocket;
              const port = socket.localPort;
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () => {
                const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                resolve({
                  status: response.statusCode ?? 0,
                  code: parsed.error?.code,
                  port,
                  socket,
                });
              });
            },
          );
          request.on('error', reject);
          request.end(JSON.stringify(body));
        },
      );
    return { post, close: () => agent.destroy() };
  }

  it('checks the store on every request of a kept-alive connection', async () => {
    const machine = await enrolledMachine('kept-01');
    const connection = keptAlive(machine);
    try {
      const first = await connection.post(heartbeat);
      const second = await connection.post(heartbeat);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.port).toBe(first.port);

      await revokeMachine(server.ctx.db, machine.machineId, clientId, new Date());
      const third = await connection.post(heartbeat);
      expect(third.port).toBe(first.port);
      expect([third.status, third.code]).toEqual([403, 'machine_revoked']);
    } finally {
      connection.close();
    }
  });

  it('drops a connection whose client tries to renegotiate TLS', async () => {
    // The server remembers which certificate a connection presented; a renegotiation could
    // otherwise swap it for another one under the same connection.
    const machine = await enrolledMachine('reneg-01');
    const connection = keptAlive(machine, { maxVersion: 'TLSv1.2' });
    try {
      const first = await connection.post(heartbeat);
      expect(first.status).toBe(200);
      expect(first.socket.getProtocol()).toBe('TLSv1.2');

      const outcome = await new Promise<string>((resolve) => {
        first.socket.once('close', () => resolve('closed'));
        first.socket.renegotiate({ rejectUnauthorized: true }, (error) => {
          if (!error) resolve('renegotiated');
        });
      });
      expect(outcome).toBe('closed');

      // The server carries on: the same machine on a new connection is served.
      const again = await connection.post(heartbeat);
      expect(again.status).toBe(200);
      expect(again.port).not.toBe(first.port);
    } finally {
      connection.close();
    }
  });
});
