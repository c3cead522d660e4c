// Runs the chosen benchmarks round by round. A benchmark that throws is recorded and the others
// still run, so that one broken case does not lose a long run's results.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { ROOT } from './processes';
import { type BenchResult, meets } from './report';

export type Benchmark<O> = (options: O) => Promise<BenchResult>;

export interface Failure {
  benchmark: string;
  /** Which round (1 to --repeat) it failed in. */
  run: number;
  error: string;
}

export interface RunOutcome {
  runs: BenchResult[][];
  failures: Failure[];
}

export interface RunPlan<O> {
  benchmarks: Record<string, Benchmark<O>>;
  chosen: string[];
  repeat: number;
  options: O;
  /** Called with each result as it comes, to print it. */
  onResult(result: BenchResult): void;
  /** Called with each failure as it comes, to say so at once. */
  onFailure(failure: Failure): void;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runBenchmarks<O>(plan: RunPlan<O>): Promise<RunOutcome> {
  const runs: BenchResult[][] = [];
  const failures: Failure[] = [];
  for (let round = 1; round <= plan.repeat; round++) {
    const results: BenchResult[] = [];
    for (const name of plan.chosen) {
      const run = plan.benchmarks[name];
      if (!run) continue;
      try {
        const result = await run(plan.options);
        if (plan.repeat > 1) {
          result.notes = [...(result.notes ?? []), `run ${round} of ${plan.repeat}`];
        }
        plan.onResult(result);
        results.push(result);
      } catch (error) {
        const failure = { benchmark: name, run: round, error: describe(error) };
        plan.onFailure(failure);
        failures.push(failure);
      }
    }
    runs.push(results);
  }
  return { runs, failures };
}

function gitCommit(): string | null {
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return commit.status === 0 ? commit.stdout.trim() : null;
}

/** What a run measured and what failed, with enough context to compare two commits. */
export function runSummary(outcome: RunOutcome, now = new Date()) {
  return {
    date: now.toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    load_average: os.loadavg(),
    ok: outcome.failures.length === 0,
    failures: outcome.failures,
    runs: outcome.runs.map((results) =>
      results.map((result) => ({
        ...result,
        ratios: result.ratios.map((ratio) => ({ ...ratio, met: meets(ratio) })),
      })),
    ),
  };
}

export function writeJson(file: string, outcome: RunOutcome): void {
  fs.writeFileSync(file, `${JSON.stringify(runSummary(outcome), null, 2)}\n`);
}
