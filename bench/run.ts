// Benchmarks: `npm run bench -- NAME… [--json FILE] [--quick]`; with no name, all of them.
// Each prints a short table and its ratios against a baseline measured in the same run.
import fs from 'node:fs';
import { Command } from 'commander';
import { enrollmentBench } from './enrollment';
import { handshakeBench } from './handshakes';
import { heartbeatBench } from './heartbeat';
import { type BenchResult, meets, printResult } from './lib/report';

interface Options {
  json?: string;
  quick?: boolean;
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
  handshakes: (options) =>
    handshakeBench({
      agents: options.quick ? 100 : 300,
      intervalMs: 1000,
      warmupMs: options.quick ? 5000 : 15_000,
      windowMs: options.quick ? 15_000 : 120_000,
    }),
};

const program = new Command('bench')
  .argument('[names...]', `benchmarks to run: ${Object.keys(BENCHMARKS).join(', ')}`)
  .option('--json <file>', 'also write the results as JSON, to compare two commits')
  .option('--quick', 'smaller counts and shorter durations')
  .action(async (names: string[], options: Options) => {
    const chosen = names.length > 0 ? names : Object.keys(BENCHMARKS);
    const unknown = chosen.filter((name) => !(name in BENCHMARKS));
    if (unknown.length > 0) {
      throw new Error(
        `unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`,
      );
    }
    const results: BenchResult[] = [];
    for (const name of chosen) {
      const run = BENCHMARKS[name];
      if (!run) continue;
      const result = await run(options);
      printResult(result);
      results.push(result);
    }
    if (options.json) {
      const summary = {
        date: new Date().toISOString(),
        node: process.version,
        cpus: (await import('node:os')).cpus().length,
        results: results.map((result) => ({
          ...result,
          ratios: result.ratios.map((ratio) => ({ ...ratio, met: meets(ratio) })),
        })),
      };
      fs.writeFileSync(options.json, `${JSON.stringify(summary, null, 2)}\n`);
    }
  });

await program.parseAsync();
