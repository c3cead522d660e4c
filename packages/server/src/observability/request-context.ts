import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The request being served, for log lines written by services through the shared logger. */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/** An id a proxy or a caller may pass on: short, and only characters safe in any log. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request, on its log lines, its `X-Request-Id` answer header and its error body:
 * the caller's `X-Request-Id` when it is sane (so one id follows a request through a proxy),
 * a new UUID otherwise.
 */
export function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Answers with the request id and runs the rest of every request's lifecycle in its context. */
export function bindRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    requestContext.run({ reqId: String(request.id) }, done);
  });
}
