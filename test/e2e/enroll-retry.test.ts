import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll } from '../../packages/agent/src/enroll';
import type { RetryNotice } from '../../packages/agent/src/enroll-post';
import { AgentError } from '../../packages/agent/src/errors';
import { createClient } from '../../packages/server/src/clients/store';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { findToken } from '../../packages/server/src/tokens/store';
import { type LossyProxy, type ProxyFault, startLossyProxy } from '../support/lossy-proxy';
import { startTestServer, type TestServer, tempDir } from '../support/server';

/** Retries without the production delays: the behaviour is the same, the test is not slower. */
const FAST = { attempts: 4, baseMs: 5, capMs: 20 };

describe('enrollment through a network that loses answers', () => {
  let server: TestServer;
  let clientId: string;
  const proxies: LossyProxy[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0' } });
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
  });

  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
    await server?.stop();
  });

  async function proxy(faultFor: (connection: number) => ProxyFault) {
    const { hostname, port } = new URL(server.publicUrl);
    const started = await startLossyProxy({ host: hostname, port: Number(port) }, faultFor);
    proxies.push(started);
    return started;
  }

  async function machinesOf(tokenId: string) {
    return server.ctx.db
      .selectFrom('machines')
      .selectAll()
      .where('token_id', '=', tokenId)
      .execute();
  }

  async function oneUseToken() {
    return createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'command',
      maxUsage: 1,
    });
  }

  it('an answer lost after the server enrolled the machine is asked again, spending one use', async () => {
    const token = await oneUseToken();
    const lossy = await proxy((n) => (n === 1 ? 'drop-answer' : 'pass'));
    const notices: RetryNotice[] = [];
    const configDir = tempDir('enroll-retry');

    const result = await enroll({
      url: lossy.url,
      token: token.value,
      configDir,
      hostname: 'lossy-01',
      hardwareId: 'lossy-hw-01',
      retry: FAST,
      onRetry: (notice) => notices.push(notice),
    });

    expect(lossy.forwarded()).toBe(2);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ attempt: 2, attempts: 4 });
    const machines = await machinesOf(token.row.id);
    expect(machines.map((machine) => machine.id)).toEqual([result.machineId]);
    const row = await findToken(server.ctx.db, token.row.id, null);
    expect(row).toMatchObject({ max_usage: 1, usage_count: 1 });
    expect(fs.existsSync(path.join(configDir, 'client.crt'))).toBe(true);
  });

  it('a busy server (503) is asked again', async () => {
    const token = await oneUseToken();
    const busy = await proxy((n) => (n === 1 ? 'busy' : 'pass'));
    const result = await enroll({
      url: busy.url,
      token: token.value,
      configDir: tempDir('enroll-busy'),
      hostname: 'busy-01',
      hardwareId: 'busy-hw-01',
      retry: FAST,
    });
    expect(busy.connections()).toBe(2);
    expect(busy.forwarded()).toBe(1);
    expect((await machinesOf(token.row.id)).map((machine) => machine.id)).toEqual([
      result.machineId,
    ]);
  });

  it('a refusal is final: it is not sent again', async () => {
    const token = await oneUseToken();
    await server.ctx.db
      .updateTable('install_tokens')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', token.row.id)
      .execute();
    const plain = await proxy(() => 'pass');
    const attempt = enroll({
      url: plain.url,
      token: token.value,
      configDir: tempDir('enroll-refused'),
      hostname: 'refused-01',
      retry: FAST,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'token_revoked' });
    expect(plain.connections()).toBe(1);
  });

  it('gives up after the last attempt when nothing answers', async () => {
    const token = await oneUseToken();
    const dead = await proxy(() => 'drop-answer');
    const notices: RetryNotice[] = [];
    const attempt = enroll({
      url: dead.url,
      token: token.value,
      configDir: tempDir('enroll-dead'),
      hostname: 'dead-01',
      hardwareId: 'dead-hw-01',
      retry: FAST,
      onRetry: (notice) => notices.push(notice),
    });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code: 'server_unreachable' });
    expect((error as Error).message).not.toContain(token.value);
    expect(dead.connections()).toBe(4);
    expect(notices.map((notice) => notice.attempt)).toEqual([2, 3, 4]);
    // Every attempt carried the same key: the server enrolled one machine, once.
    expect(await machinesOf(token.row.id)).toHaveLength(1);
    expect((await findToken(server.ctx.db, token.row.id, null))?.usage_count).toBe(1);
  });
});
