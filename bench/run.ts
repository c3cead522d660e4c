// Benchmarks: `npm run bench -- NAME… [--json FILE] [--quick]`; with no name, all of them.
// Each prints a short table and its ratios against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import { agentBuildBench } from './build';
import { enrollmentBench } from './enrollment';
import { footprintBench } from './footprint';
import { handshakeBench } from './handshakes';
import { heartbeatBench } from './heartbeat';
import { installerBench } from './installers';
import { profileServersInto, ROOT, useServerBuild } from './lib/processes';
import { type BenchResult, meets, printResult, printSummary } from './lib/report';

interface Options {
  json?: string;
  quick?: boolean;
  cpuProf?: string;
  server?: string;
  repeat: string;
}

const POSTGRES_URL =
  process.env.OPTRALIS_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const BENCHMARKS: Record<string, (options: Options) => Promise<BenchResult>> = {
  enrollment: (options) =>
    enrollmentBench({
      count: options.quick ? 200 : 1000,
      concurrency: 8,
      postgresUrl: POSTGRES_URL,
    }),
  heartbeat: (options) =>
    heartbeatBench({
      connections: 16,
      durationMs: options.quick ? 3000 : 10_000,
      bodyBytes: 2048,
    }),
  build: () => agentBuildBench(),
  installers: (options) => installerBench({ count: options.quick ? 20 : 60, concurrency: 20 }),
  footprint: (options) =>
    footprintBench({
      warmupMs: options.quick ? 5000 : 15_000,
      windowMs: options.quick ? 30_000 : 180_000,
    }),
  handshakes: (options) =>
    handshakeBench({
      agents: options.quick ? 100 : 300,
      intervalMs: 1000,
      warmupMs: options.quick ? 5000 : 15_000,
      windowMs: options.quick ? 15_000 : 180_000,
    }),
};

/** What a run measured, with enough context to compare two commits on the same machine. */
function writeJson(file: string, runs: BenchResult[][]): void {
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const summary = {
    date: new Date().toISOString(),
    commit: commit.status === 0 ? commit.stdout.trim() : null,
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    load_average: os.loadavg(),
    runs: runs.map((results) =>
      results.map((result) => ({
        ...result,
        ratios: result.ratios.map((ratio) => ({ ...ratio, met: meets(ratio) })),
      })),
    ),
  };
  fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
}

const program = new Command('bench')
  .argument('[names...]', `benchmarks to run: ${Object.keys(BENCHMARKS).join(', ')}`)
  .option('--json <file>', 'also write the results as JSON, to compare two commits')
  .option('--quick', 'smaller counts and shorter durations')
  .option('--cpu-prof <dir>', 'write a CPU profile of every Optralis server process into DIR')
  .option('--server <file>', 'another build of the server (a copy of its dist/optralis.mjs)')
  .option('--repeat <n>', 'run every chosen benchmark N times and show the spread', '1')
  .action(async (names: string[], options: Options) => {
    const chosen = names.length > 0 ? names : Object.keys(BENCHMARKS);
    const unknown = chosen.filter((name) => !(name in BENCHMARKS));
    if (unknown.length > 0) {
      throw new Error(
        `unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`,
      );
    }
    const repeat = Number(options.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
      throw new Error('--repeat must be a whole number from 1 to 20');
    }
    if (options.cpuProf) profileServersInto(options.cpuProf);
    if (options.server) useServerBuild(options.server);
    const runs: BenchResult[][] = [];
    for (let round = 1; round <= repeat; round++) {
      const results: BenchResult[] = [];
      for (const name of chosen) {
        const run = BENCHMARKS[name];
        if (!run) continue;
        const result = await run(options);
        if (repeat > 1) result.notes = [...(result.notes ?? []), `run ${round} of ${repeat}`];
        printResult(result);
        results.push(result);
      }
      runs.push(results);
    }
    printSummary(runs);
    if (options.json) writeJson(options.json, runs);
  });

await program.parseAsync();
