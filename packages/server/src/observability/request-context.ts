import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

/** The request being served, for log lines written by services through the shared logger. */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/** Runs the rest of every request's lifecycle inside its context. */
export function bindRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    requestContext.run({ reqId: String(request.id) }, done);
  });
}
