import fs from 'node:fs';
import path from 'node:path';
import { isatty } from 'node:tty';

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

/** Writes one line for a reader; false when nobody can read it (the caller then says it otherwise). */
export type ConsoleWriter = (line: string) => boolean;

/** The file type bits of a mode, and the pipe type. */
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;

/**
 * Writes to standard output when someone reads it. A GUI-subsystem program started from cmd or
 * PowerShell gets no standard handles unless they are redirected, and Node then opens NUL in
 * their place (node.cc, PlatformInit on Windows): writes succeed and the user sees nothing. So
 * only a file, a pipe, a socket or a real console (a TTY: NUL is a character device, not a
 * console) count as a reader; anything else, or a failed write, returns false. A pipe is told by
 * its mode bits: libuv reports pipes on Windows, but Node's `isFIFO()` answers false there for
 * any file. A handle that cannot be looked at (Wine cannot stat a standard handle redirected to
 * a file, yet writes to it) counts as read when the write succeeds.
 */
export function consoleWriter(fd = 1): ConsoleWriter {
  return (line) => {
    if (!someoneReads(fd)) return false;
    try {
      fs.writeSync(fd, `${line}\n`);
      return true;
    } catch {
      // No console: the log file has it.
      return false;
    }
  };
}

/** False when `fd` is known to reach nobody (NUL, nothing); true when it may reach a reader. */
function someoneReads(fd: number): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch {
    return true;
  }
  return (
    stat.isFile() ||
    (stat.mode & S_IFMT) === S_IFIFO ||
    stat.isSocket() ||
    (stat.isCharacterDevice() && isatty(fd))
  );
}
