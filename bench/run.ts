// Benchmarks: `npm run bench -- NAME… [--json FILE] [--quick]`; with no name, all of them.
// Each prints a short table and its ratios against a baseline measured in the same run.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { agentBuildBench } from './build';
import { enrollmentBench } from './enrollment';
import { footprintBench } from './footprint';
import { handshakeBench } from './handshakes';
import { heartbeatBench } from './heartbeat';
import { installerBench } from './installers';
import { profileServersInto, useServerBuild } from './lib/processes';
import { type BenchResult, printResult, printSummary } from './lib/report';
import { runBenchmarks, writeJson } from './lib/runner';

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
      program.error(
        `bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`,
        { exitCode: 64 },
      );
    }
    const repeat = Number(options.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
      program.error('bench: --repeat must be a whole number from 1 to 20', { exitCode: 64 });
    }
    if (options.json && !fs.existsSync(path.dirname(path.resolve(options.json)))) {
      program.error(`bench: no directory for --json ${options.json}`, { exitCode: 64 });
    }
    if (options.cpuProf) profileServersInto(options.cpuProf);
    if (options.server) useServerBuild(options.server);
    const outcome = await runBenchmarks({
      benchmarks: BENCHMARKS,
      chosen,
      repeat,
      options,
      onResult: printResult,
      onFailure: (failure) => {
        process.stderr.write(
          `\n== ${failure.benchmark} FAILED (run ${failure.run}): ${failure.error}\n`,
        );
      },
    });
    printSummary(outcome.runs);
    if (options.json) writeJson(options.json, outcome);
    if (outcome.failures.length > 0) {
      const names = outcome.failures.map((failure) => failure.benchmark);
      process.stderr.write(`bench: ${[...new Set(names)].join(', ')} failed\n`);
      process.exitCode = 1;
    }
  });

await program.parseAsync();
