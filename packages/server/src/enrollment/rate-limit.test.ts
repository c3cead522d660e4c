import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { createClient } from '../clients/store';
import { hashToken } from '../tokens/secret';
import { createInstallToken } from '../tokens/service';
import { findToken } from '../tokens/store';

const REDIS_URL = process.env.OPTRALIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('rate limits of /api/public/bootstrap', () => {
  const servers: TestServer[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  async function start(env: Record<string, string>) {
    const server = await startTestServer({ env });
    servers.push(server);
    return server;
  }

  async function newToken(server: TestServer) {
    const clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    return createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'command',
      maxUsage: 0,
    });
  }

  function post(server: TestServer, token: string, hostname: string) {
    return server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token, hostname, hardware_id: hostname },
    });
  }

  it('limits one source address, whatever the token (memory store)', async () => {
    const server = await start({
      OPTRALIS_BOOTSTRAP_RATE_PER_IP: '3',
      OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '0',
    });
    const codes = [];
    for (let i = 0; i < 4; i += 1)
      codes.push((await post(server, `opt_guess${i}`, 'h')).statusCode);
    expect(codes).toEqual([403, 403, 403, 429]);
  });

  it('limits one token, and a limited request spends nothing (memory store)', async () => {
    const server = await start({
      OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0',
      OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '2',
    });
    const limitedToken = await newToken(server);
    expect((await post(server, limitedToken.value, 'a1')).statusCode).toBe(200);
    expect((await post(server, limitedToken.value, 'a2')).statusCode).toBe(200);
    const limited = await post(server, limitedToken.value, 'a3');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).not.toContain(limitedToken.value);
    const row = await findToken(server.ctx.db, limitedToken.row.id, null);
    expect(row?.usage_count).toBe(2);

    const otherToken = await newToken(server);
    expect((await post(server, otherToken.value, 'b1')).statusCode).toBe(200);
  });

  it('lets enrollments through while the Redis store cannot be reached', async () => {
    const server = await start({
      REDIS_URL: 'redis://127.0.0.1:1',
      OPTRALIS_BOOTSTRAP_RATE_PER_IP: '1',
      OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '1',
    });
    const token = await newToken(server);
    const codes = [];
    for (const host of ['r1', 'r2', 'r3'])
      codes.push((await post(server, token.value, host)).statusCode);
    expect(codes).toEqual([200, 200, 200]);
  });

  it('shares the counters of every replica through Redis, keyed by a hash of the token', async () => {
    const prefix = `optralis-test-${randomBytes(6).toString('hex')}:`;
    const env = {
      REDIS_URL,
      OPTRALIS_RATE_LIMIT_PREFIX: prefix,
      OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0',
      OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '2',
    };
    const first = await start(env);
    const second = await start(env);
    const token = await newToken(first);
    // The second replica has its own SQLite store: it refuses the token, but the attempt counts.
    expect((await post(first, token.value, 'r1')).statusCode).toBe(200);
    expect((await post(second, token.value, 'r2')).statusCode).toBe(403);
    expect((await post(first, token.value, 'r3')).statusCode).toBe(429);

    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((key) => key.includes(hashToken(token.value)))).toBe(true);
      for (const key of keys) expect(key).not.toContain(token.value);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });
});
