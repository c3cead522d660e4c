// The benchmark runner on stand-in benchmarks (no load, nothing timed), and `npm run bench`'s
// answers to bad arguments, which come before any benchmark starts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/lib/report';
import { type Failure, runBenchmarks, runSummary, writeJson } from '../../bench/lib/runner';
import { REPO_ROOT } from '../support/paths';

function result(name: string, value: number): BenchResult {
  return {
    name,
    rows: [{ case: name, 'req/s': 100 }],
    ratios: [
      { name: 'per core', value },
      { name: 'rate', value, target: { op: '>=', value: 0.7 } },
    ],
  };
}

const benchmarks = {
  first: async () => result('first', 0.9),
  broken: async (): Promise<BenchResult> => {
    throw new Error('bare server did not start');
  },
  last: async () => result('last', 0.5),
};

describe('benchmark runner', () => {
  it('records a failing benchmark and still runs the ones after it', async () => {
    const printed: string[] = [];
    const failed: Failure[] = [];
    const outcome = await runBenchmarks({
      benchmarks,
      chosen: ['first', 'broken', 'last'],
      repeat: 2,
      options: {},
      onResult: (done) => printed.push(done.name),
      onFailure: (failure) => failed.push(failure),
    });
    expect(printed).toEqual(['first', 'last', 'first', 'last']);
    expect(outcome.failures).toEqual([
      { benchmark: 'broken', run: 1, error: 'bare server did not start' },
      { benchmark: 'broken', run: 2, error: 'bare server did not start' },
    ]);
    expect(failed).toEqual(outcome.failures);
    expect(outcome.runs.map((run) => run.map((done) => done.name))).toEqual([
      ['first', 'last'],
      ['first', 'last'],
    ]);
    expect(outcome.runs[1]?.[0]?.notes).toEqual(['run 2 of 2']);
  });

  it('writes the results, the failures and each target met or not as JSON', async () => {
    const outcome = await runBenchmarks({
      benchmarks,
      chosen: ['first', 'broken', 'last'],
      repeat: 1,
      options: {},
      onResult: () => {},
      onFailure: () => {},
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-bench-json-'));
    const file = path.join(dir, 'run.json');
    try {
      writeJson(file, outcome);
      const written = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(written).toMatchObject({
        ok: false,
        node: process.version,
        cpus: os.cpus().length,
        failures: [{ benchmark: 'broken', run: 1, error: 'bare server did not start' }],
      });
      expect(written.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(Number.isNaN(Date.parse(written.date))).toBe(false);
      expect(written.runs).toHaveLength(1);
      expect(written.runs[0].map((done: BenchResult) => done.name)).toEqual(['first', 'last']);
      expect(written.runs[0][1].ratios).toEqual([
        { name: 'per core', value: 0.5 },
        { name: 'rate', value: 0.5, target: { op: '>=', value: 0.7 }, met: false },
      ]);
      expect(runSummary({ runs: outcome.runs, failures: [] }).ok).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run bench arguments', () => {
  const bench = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });

  it('refuses an unknown benchmark by name, listing the known ones, before running any', () => {
    const run = bench('enrollment', 'nonsense');
    expect(run.status).toBe(64);
    expect(run.stderr).toContain('bench: unknown benchmark nonsense; known: enrollment, heartbeat');
    expect(run.stdout).not.toContain('== enrollment');
  });

  it('refuses a repeat count that is not a whole number from 1 to 20', () => {
    for (const repeat of ['0', '21', '1.5', 'many']) {
      const run = bench('build', '--repeat', repeat);
      expect(run.status).toBe(64);
      expect(run.stderr).toContain('bench: --repeat must be a whole number from 1 to 20');
    }
  });

  it('refuses a JSON file in a directory that does not exist, before a long run', () => {
    const run = bench('build', '--json', path.join(os.tmpdir(), 'optralis-no-such-dir', 'r.json'));
    expect(run.status).toBe(64);
    expect(run.stderr).toContain('bench: no directory for --json');
  });
});
