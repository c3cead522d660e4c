// The agent keeps one connection open between heartbeats; the agent API must not close it first,
// or every heartbeat pays a TLS handshake (DESIGN.md: about 20 times the cost of the request).
// The interval comes from the agent's own enrollment and config reader, not a copy of it.
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { agentConfigSchema } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestMachine, newClient, type TestMachine } from '../../../../test/support/machines';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { loadAgentConfig } from '../../../agent/src/config';
import { AGENT_KEEP_ALIVE_MS } from './app';

interface Answer {
  status: number;
  keepAlive: string;
  socket: TLSSocket;
}

function post(server: TestServer, machine: TestMachine, agent: https.Agent): Promise<Answer> {
  const body = JSON.stringify({ version: '1.0.0', platform: 'linux', arch: 'amd64' });
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${server.agentApiUrl}/heartbeat`,
      {
        method: 'POST',
        agent,
        ca: machine.ca,
        cert: machine.cert,
        key: machine.key,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        const socket = response.socket as TLSSocket;
        response.resume();
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            keepAlive: String(response.headers['keep-alive'] ?? ''),
            socket,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe("the agent API's keep-alive outlives the agent's heartbeat interval", () => {
  let server: TestServer;
  let machine: TestMachine;
  let intervalMs: number;

  beforeAll(async () => {
    server = await startTestServer();
    machine = await enrollTestMachine(server, await newClient(server), 'keep-alive-01');
    intervalMs = loadAgentConfig(machine.configDir).config.interval * 1000;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("enrolls agents with the config's default interval, shorter than the keep-alive", () => {
    const defaultInterval = agentConfigSchema.parse({ api_url: 'https://agents.example' }).interval;
    expect(intervalMs).toBe(defaultInterval * 1000);
    expect(AGENT_KEEP_ALIVE_MS).toBeGreaterThan(intervalMs);
  });

  it('tells the agent how long an idle connection stays open, longer than the interval', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answer = await post(server, machine, agent);
      expect(answer.status).toBe(200);
      const seconds = Number(/timeout=(\d+)/.exec(answer.keepAlive)?.[1]);
      expect(seconds * 1000).toBe(AGENT_KEEP_ALIVE_MS);
      expect(seconds * 1000).toBeGreaterThan(intervalMs);
    } finally {
      agent.destroy();
    }
  });

  it('keeps the connection of an agent that is idle for one heartbeat interval', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await post(server, machine, agent);
      let closedBy = '';
      first.socket.once('close', () => {
        closedBy = 'the server closed it while idle';
      });
      // One interval and a second more, as an agent between two heartbeats.
      await sleep(intervalMs + 1000);
      expect(closedBy).toBe('');
      const second = await post(server, machine, agent);
      expect(second.status).toBe(200);
      expect(second.socket).toBe(first.socket);
      expect(second.socket.isSessionReused()).toBe(false);
    } finally {
      agent.destroy();
    }
  });
});
