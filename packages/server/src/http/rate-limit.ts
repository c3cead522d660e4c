import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { RateLimitConfig } from '../config';
import { AppError } from '../errors';

const WINDOW_MS = 60_000;

/** Counts one request against a limit, or refuses it with 429 `rate_limited`. */
export type Limiter = (request: FastifyRequest, reply: FastifyReply, key: string) => Promise<void>;

type Check = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Registers @fastify/rate-limit without a global limit, with its counters in Redis when
 * `redisUrl` is set (so that every replica shares them) and in process memory otherwise. Each
 * limiter is a fixed window of one minute; `max` 0 turns it off. Keys are built by the caller and
 * must never contain a secret (hash tokens first): with Redis they are visible to its operators.
 */
export function installRateLimits(
  app: FastifyInstance,
  config: RateLimitConfig,
  redisUrl: string | undefined,
): (bucket: string, max: number) => Limiter {
  const redis = redisUrl
    ? new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  app.register(rateLimit, {
    global: false,
    nameSpace: config.prefix,
    timeWindow: WINDOW_MS,
    ...(redis ? { redis } : {}),
  });
  if (redis) {
    // Without a listener ioredis prints every failed reconnection; the log says it once per error.
    redis.on('error', (err: Error) => app.log.warn({ err }, 'rate-limit store unreachable'));
    app.addHook('onClose', async () => {
      await redis.quit();
    });
  }

  return (bucket, max) => {
    // The plugin's decorator exists only once it has loaded, so the check is made on first use.
    let check: Check | undefined;
    return async (request, reply, key) => {
      if (max === 0) return;
      check ??= app.createRateLimit({
        max,
        timeWindow: WINDOW_MS,
        keyGenerator: (req) => keys.get(req) ?? 'unknown',
      });
      keys.set(request, `${bucket}:${key}`);
      let result: Awaited<ReturnType<Check>>;
      try {
        result = await check(request);
      } catch (err) {
        // An unreachable store must not stop enrollments: limits pause, the log says so.
        request.log.warn({ err, bucket }, 'rate-limit store unreachable; request let through');
        return;
      }
      if (result.isAllowed || !result.isExceeded) return;
      reply.header('retry-after', String(Math.max(1, result.ttlInSeconds)));
      throw new AppError('rate_limited');
    };
  };
}

/** The key of the check in progress for a request (the plugin asks for it by request). */
const keys = new WeakMap<FastifyRequest, string>();
