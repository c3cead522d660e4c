/**
 * The agent's log: one line per event an operator cares about, on standard error (the service
 * manager collects it). Context is appended as key=value pairs; secrets are never passed in.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface AgentLog {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export function createLog(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): AgentLog {
  const emit = (at: LogLevel, message: string, context?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const fields = context
      ? Object.entries(context)
          .filter(([, value]) => value !== undefined)
          .map(
            ([key, value]) =>
              ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
          )
          .join('')
      : '';
    write(`${new Date().toISOString()} ${at.toUpperCase()} ${message}${fields}\n`);
  };
  return {
    debug: (message, context) => emit('debug', message, context),
    info: (message, context) => emit('info', message, context),
    warn: (message, context) => emit('warn', message, context),
    error: (message, context) => emit('error', message, context),
  };
}
