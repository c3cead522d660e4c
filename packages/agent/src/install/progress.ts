import fs from 'node:fs';
import { z } from 'zod';

/**
 * What an install reports while it runs. The elevated installer writes these as JSON lines to
 * the file named by `-progress-file`, where the GUI (not elevated) and install.ps1 read them.
 */
export const progressEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('step'),
    index: z.number().int().min(1).max(20),
    total: z.number().int().min(1).max(20),
    id: z.string().max(32),
    label: z.string().max(200),
  }),
  z.object({
    event: z.literal('notice'),
    level: z.enum(['info', 'warning']),
    message: z.string().max(2000),
  }),
  z.object({
    event: z.literal('result'),
    ok: z.boolean(),
    exit_code: z.number().int(),
    code: z.string().max(64),
    message: z.string().max(4000),
    machine_id: z.string().max(64).nullable(),
    log_file: z.string().max(4096).nullable(),
  }),
]);

export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type ProgressSink = (event: ProgressEvent) => void;

/** Appends each event as one line; every write reaches the file before the next step. */
export function progressFileSink(file: string): ProgressSink {
  return (event) => {
    fs.appendFileSync(file, `${JSON.stringify(event)}\n`, 'utf8');
  };
}

/**
 * Reads the events written so far, from `offset` on; a line still being written (no newline
 * yet) is left for the next read. Lines that are not events are skipped.
 */
export function readProgressFile(
  file: string,
  offset: number,
): { events: ProgressEvent[]; offset: number } {
  let text: string;
  try {
    const bytes = fs.readFileSync(file);
    text = bytes.subarray(offset).toString('utf8');
  } catch {
    return { events: [], offset };
  }
  const end = text.lastIndexOf('\n');
  if (end < 0) return { events: [], offset };
  const events: ProgressEvent[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    try {
      const parsed = progressEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // Not JSON: ignored.
    }
  }
  return { events, offset: offset + Buffer.byteLength(text.slice(0, end + 1), 'utf8') };
}
