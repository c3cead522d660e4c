import fs from 'node:fs';
import path from 'node:path';

/**
 * The installer's log: a file that stays after the install (its path is shown at the end), and
 * the console when there is one. Lines are in French, like everything the installer says; no
 * token, key or certificate ever goes in.
 */
export interface InstallLog {
  readonly file: string | undefined;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createInstallLog(options: {
  file?: string | undefined;
  console?: ((line: string) => void) | undefined;
  now?: () => Date;
}): InstallLog {
  const now = options.now ?? (() => new Date());
  let file = options.file;
  if (file) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.appendFileSync(file, '');
    } catch {
      file = undefined;
    }
  }
  const write = (level: string, message: string) => {
    const line = `${now().toISOString()} ${level} ${message}`;
    if (file) {
      try {
        fs.appendFileSync(file, `${line}\r\n`, 'utf8');
      } catch {
        // A log that cannot be written never stops the install.
      }
    }
    options.console?.(
      level === 'INFO' ? message : `${level === 'WARN' ? 'Attention' : 'Erreur'} : ${message}`,
    );
  };
  return {
    file,
    info: (message) => write('INFO', message),
    warn: (message) => write('WARN', message),
    error: (message) => write('ERROR', message),
  };
}

/** Writes to standard output when there is one: a GUI program started by a double-click has none. */
export function consoleWriter(): (line: string) => void {
  return (line) => {
    try {
      fs.writeSync(1, `${line}\n`);
    } catch {
      // No console: the log file has it.
    }
  };
}
