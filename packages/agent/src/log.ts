import path from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { makeDirectory } from './files';

/**
 * The agent's log: one line per event an operator cares about. Context is appended as key=value
 * pairs; secrets are never passed in. Lines go to standard error (journald under systemd) and,
 * when a log directory is given, to `agent.log` there, rotated by size.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface AgentLog {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export function formatLine(
  at: LogLevel,
  message: string,
  context?: Record<string, unknown>,
  now = new Date(),
): string {
  const fields = context
    ? Object.entries(context)
        .filter(([, value]) => value !== undefined)
        .map(
          ([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
        )
        .join('')
    : '';
  return `${now.toISOString()} ${at.toUpperCase()} ${message}${fields}\n`;
}

export function createLog(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): AgentLog {
  const emit = (at: LogLevel, message: string, context?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    write(formatLine(at, message, context));
  };
  return {
    debug: (message, context) => emit('debug', message, context),
    info: (message, context) => emit('info', message, context),
    warn: (message, context) => emit('warn', message, context),
    error: (message, context) => emit('error', message, context),
  };
}

export const LOG_FILE = 'agent.log';

export interface FileLogOptions {
  dir: string;
  file?: string;
  level?: LogLevel;
  /** Rotate when the file reaches this size (rotating-file-stream notation). */
  size?: string;
  /** Rotated files kept: agent.log.1 (newest) … agent.log.N. */
  keep?: number;
  /** Also write to standard error (journald); off for Windows services, whose wrapper logs it. */
  mirror?: (line: string) => void;
}

export interface FileLog extends AgentLog {
  /** Writes what is buffered and closes the file; call before the process exits. */
  close(): Promise<void>;
}

/**
 * The service's log: `agent.log` in the log directory, rotated by size like logrotate does
 * (agent.log.1 … agent.log.N). If the directory cannot be written, lines still go to the mirror
 * and one line says why the file is missing.
 */
export function createFileLog(options: FileLogOptions): FileLog {
  const file = options.file ?? LOG_FILE;
  const mirror = options.mirror;
  let stream: RotatingFileStream | undefined;
  let broken = false;
  const fail = (error: Error) => {
    if (broken) return;
    broken = true;
    stream = undefined;
    const line = formatLine('warn', 'cannot write the log file', {
      dir: options.dir,
      reason: (error as NodeJS.ErrnoException).code ?? error.message,
    });
    (mirror ?? ((text: string) => process.stderr.write(text)))(line);
  };
  try {
    makeDirectory(options.dir, 0o750);
    stream = createStream((index) => (index ? `${file}.${index}` : file), {
      path: options.dir,
      size: options.size ?? '10M',
      rotate: options.keep ?? 5,
      mode: 0o640,
    });
    stream.on('error', fail);
  } catch (error) {
    fail(error as Error);
  }

  const log = createLog(options.level ?? 'info', (line) => {
    mirror?.(line);
    if (stream && !broken) stream.write(line);
  });
  return {
    ...log,
    close: () =>
      new Promise<void>((resolve) => {
        const open = stream;
        stream = undefined;
        if (!open || broken) return resolve();
        open.end(() => resolve());
        open.once('error', () => resolve());
      }),
  };
}

/** Where the service writes its log when config.json does not say (the specification's paths). */
export function defaultLogDir(configDir: string, defaultConfigDir: string, windowsLogsDir: string) {
  if (path.resolve(configDir) !== path.resolve(defaultConfigDir)) {
    // An agent run from another configuration directory (a test, a second instance) keeps its
    // log beside it rather than in the system location.
    return path.join(configDir, 'logs');
  }
  return process.platform === 'win32' ? windowsLogsDir : '/var/log/optralis-agent';
}
