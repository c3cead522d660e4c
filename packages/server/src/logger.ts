import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

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
