import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { requestContext } from './observability/request-context';

/** Anything that could hold a secret is removed from every log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-client-cert"]',
  'token',
  'password',
  'private_key',
  '*.token',
  '*.password',
  '*.private_key',
  '*.privateKey',
];

export function createLogger(options: {
  level: string;
  format: 'json' | 'pretty';
  destination?: NodeJS.WritableStream;
}): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Lines that services write while serving a request carry its id, like Fastify's own.
    mixin(_object: object, _level: number, logger: Logger) {
      const store = requestContext.getStore();
      if (!store || 'reqId' in logger.bindings()) return {};
      return { reqId: store.reqId };
    },
  };
  if (options.format === 'pretty') {
    const stream = pretty({
      colorize: process.stderr.isTTY,
      destination: options.destination ?? 2,
      ignore: 'pid,hostname',
      sync: true,
    });
    return pino(base, stream);
  }
  return pino(base, options.destination ?? pino.destination({ fd: 2, sync: false }));
}
