import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { createLogger } from './logger';

/** Writes one line through the logger a configuration picks, and returns what came out. */
function oneLine(env: Record<string, string>): string {
  const out: string[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  const config = loadConfig(env);
  const log = createLogger({ level: 'info', format: config.logFormat, destination });
  log.info({ machineId: 'm-1' }, 'machine enrolled');
  log.flush();
  return out.join('');
}

describe('the log format', () => {
  it('is one JSON object a line when NODE_ENV=production', () => {
    const text = oneLine({ NODE_ENV: 'production' });
    const line = JSON.parse(text.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: 'machine enrolled', machineId: 'm-1' });
  });

  it('is readable text otherwise, and JSON again when OPTRALIS_LOG_FORMAT=json asks', () => {
    const text = oneLine({});
    expect(text).toContain('INFO');
    expect(text).toContain('machine enrolled');
    expect(text).toContain('m-1');
    expect(() => JSON.parse(text.trim())).toThrow();
    expect(JSON.parse(oneLine({ OPTRALIS_LOG_FORMAT: 'json' }).trim()).msg).toBe(
      'machine enrolled',
    );
  });
});
