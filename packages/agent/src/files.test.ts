import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectory } from './files';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-files-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('making a directory and its parents', () => {
  it('makes every missing level with the mode asked, and leaves existing ones alone', () => {
    const deep = path.join(scratch, 'a', 'b', 'c');
    makeDirectory(deep, 0o700);
    for (const level of ['a', 'a/b', 'a/b/c']) {
      expect(fs.statSync(path.join(scratch, level)).mode & 0o777).toBe(0o700);
    }
    fs.chmodSync(path.join(scratch, 'a'), 0o755);
    makeDirectory(deep, 0o700);
    expect(fs.statSync(path.join(scratch, 'a')).mode & 0o777).toBe(0o755);
  });

  it('throws mkdir’s own error where a level cannot be made', () => {
    const file = path.join(scratch, 'a-file');
    fs.writeFileSync(file, '');
    expect(() => makeDirectory(path.join(file, 'sub'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    expect(() => makeDirectory('/proc/optralis-nowhere/sub')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});
