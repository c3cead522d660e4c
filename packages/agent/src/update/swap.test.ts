import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installBinary, previousPathOf, restoreBinary, temporaryPathOf } from './swap';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-swap-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

describe('swapping the agent binary', () => {
  it('names the previous copy so that Windows can still start it', () => {
    expect(previousPathOf('C:\\Optralis\\optralis-agent.exe')).toBe(
      'C:\\Optralis\\optralis-agent.previous.exe',
    );
    expect(previousPathOf('/usr/local/bin/optralis-agent')).toBe(
      '/usr/local/bin/optralis-agent.previous',
    );
    expect(temporaryPathOf('/usr/local/bin/optralis-agent')).toBe(
      '/usr/local/bin/.optralis-agent.update',
    );
  });

  it('on Linux renames the download over the binary and restores the previous one', () => {
    const binary = path.join(dir, 'optralis-agent');
    const download = temporaryPathOf(binary);
    fs.writeFileSync(binary, 'version 1');
    fs.writeFileSync(download, 'version 2');

    const previous = installBinary(binary, download, 'linux');
    expect(read(binary)).toBe('version 2');
    expect(read(previous)).toBe('version 1');
    expect(fs.existsSync(download)).toBe(false);
    expect(fs.statSync(binary).mode & 0o777).toBe(0o755);
    expect(fs.existsSync(`${binary}.old`)).toBe(false);

    restoreBinary(binary, previous, 'linux');
    expect(read(binary)).toBe('version 1');
    expect(fs.existsSync(`${binary}.failed`)).toBe(false);
  });

  it('on Windows moves the running binary aside before putting the new one in place', () => {
    const binary = path.join(dir, 'optralis-agent.exe');
    const download = temporaryPathOf(binary);
    fs.writeFileSync(binary, 'version 1');
    fs.writeFileSync(`${binary}.old`, 'left by an earlier update');
    fs.writeFileSync(download, 'version 2');

    const previous = installBinary(binary, download, 'win32');
    expect(previous).toBe(path.join(dir, 'optralis-agent.previous.exe'));
    expect(read(binary)).toBe('version 2');
    expect(read(`${binary}.old`)).toBe('version 1');
    expect(read(previous)).toBe('version 1');

    restoreBinary(binary, previous, 'win32');
    expect(read(binary)).toBe('version 1');
    expect(read(`${binary}.failed`)).toBe('version 2');
    expect(read(previous)).toBe('version 1');
  });
});
