import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/server';
import { createFileLog, defaultLogDir } from './log';

describe('the agent log file', () => {
  it('writes agent.log and rotates it by size, keeping a fixed number of old files', async () => {
    const dir = path.join(tempDir('logs'), 'nested', 'logs');
    const log = createFileLog({ dir, size: '1K', keep: 2 });
    for (let n = 0; n < 60; n++)
      log.info('cannot reach the server', { attempt: n, pad: 'x'.repeat(40) });
    await log.close();
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['agent.log', 'agent.log.1', 'agent.log.2']);
    const all = files.flatMap((name) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n'));
    expect(all.filter(Boolean).every((line) => /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO /.test(line))).toBe(
      true,
    );
    // The newest line is kept; the oldest went with the files past the limit.
    expect(all.some((line) => line.includes('attempt=59 '))).toBe(true);
    expect(all.some((line) => line.includes('attempt=0 '))).toBe(false);
  });

  it('still logs to the mirror, and says why, when the directory cannot be written', async () => {
    const blocker = path.join(tempDir('logs'), 'file');
    fs.writeFileSync(blocker, '');
    const mirrored: string[] = [];
    const log = createFileLog({
      dir: path.join(blocker, 'logs'),
      mirror: (line) => mirrored.push(line),
    });
    log.warn('cannot reach the server');
    await log.close();
    expect(mirrored[0]).toMatch(/WARN cannot write the log file dir=.* reason=(ENOTDIR|EEXIST)/);
    expect(mirrored[1]).toMatch(/WARN cannot reach the server\n$/);
  });

  it('goes to the specification’s directory for the installed agent only', () => {
    const windowsLogs = 'C:\\ProgramData\\optralis-agent\\logs';
    expect(defaultLogDir('/etc/optralis-agent', '/etc/optralis-agent', windowsLogs)).toBe(
      process.platform === 'win32' ? windowsLogs : '/var/log/optralis-agent',
    );
    expect(defaultLogDir('/srv/agent-2', '/etc/optralis-agent', windowsLogs)).toBe(
      '/srv/agent-2/logs',
    );
  });
});
