import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { progressFileSink, readProgressFile } from './progress';

describe('the progress file', () => {
  it('gives the complete lines only, from where the last read stopped', () => {
    const file = path.join(tempDir('progress'), 'progress.jsonl');
    expect(readProgressFile(file, 0)).toEqual({ events: [], offset: 0 });
    const sink = progressFileSink(file);
    sink({ event: 'step', index: 1, total: 7, id: 'check', label: 'Vérification du système' });
    fs.appendFileSync(file, 'not json\n{"event":"step","index":2');
    const first = readProgressFile(file, 0);
    expect(first.events).toEqual([
      { event: 'step', index: 1, total: 7, id: 'check', label: 'Vérification du système' },
    ]);
    fs.appendFileSync(file, ',"total":7,"id":"identity","label":"Inscription"}\n');
    const second = readProgressFile(file, first.offset);
    expect(second.events).toEqual([
      { event: 'step', index: 2, total: 7, id: 'identity', label: 'Inscription' },
    ]);
    expect(second.offset).toBe(fs.statSync(file).size);
  });
});
