import type { z } from 'zod';

/** Prints either the JSON value (`--json`) or lines for people. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Why a command refused, for scripts: `--json` prints it with the message. */
export type CliErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'email_taken'
  | 'store_missing'
  | 'machines_on_previous_ca'
  | 'rotation_refused';

/** A command that cannot do what it was asked; exits 1 with the message (and code). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: CliErrorCode = 'invalid_argument',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '-')));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const format = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  return [format(columns), ...cells.map(format)].join('\n').trimEnd();
}

/** `value` as the API's own schema reads it; else invalid_argument, naming the option. */
export function checked<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new CliError(`${option} ${result.error.issues[0]?.message ?? 'is not valid'}`);
}
