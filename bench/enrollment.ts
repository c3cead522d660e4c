import pg from 'pg';
import { runLoad, startServerProcess, unlimitedToken } from './lib/processes';
import { type BenchResult, percentile } from './lib/report';

interface LoadResult {
  elapsedMs: number;
  latencies: number[];
  statuses: Record<string, number>;
}

export interface EnrollmentOptions {
  count: number;
  concurrency: number;
  postgresUrl: string;
}

/** A throwaway PostgreSQL database, dropped afterwards. */
async function withPostgres<T>(adminUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `optralis_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function measureStore(
  store: string,
  env: Record<string, string>,
  options: EnrollmentOptions,
): Promise<LoadResult> {
  const server = await startServerProcess(env);
  try {
    const token = await unlimitedToken(server);
    // A short warm-up, so that JIT and connection pools are not in the measurement.
    await runLoad<LoadResult>('bootstrap.ts', {
      url: server.publicUrl,
      token,
      count: 20,
      concurrency: 4,
      prefix: `warm-${store}`,
    });
    return await runLoad<LoadResult>('bootstrap.ts', {
      url: server.publicUrl,
      token,
      count: options.count,
      concurrency: options.concurrency,
      prefix: `bench-${store}`,
    });
  } finally {
    await server.stop();
  }
}

/**
 * Enrollment through the real route, store and CA (CSR parsed, verified and signed), against
 * the same CSR work alone in a process of its own. Both are single-threaded, so the ratio shows
 * what HTTP, validation, the token check and the store transaction cost on top of the crypto.
 */
export async function enrollmentBench(options: EnrollmentOptions): Promise<BenchResult> {
  const bare = await runLoad<{ elapsedMs: number }>('sign-csr.ts', { count: options.count });
  const bareRate = (options.count * 1000) / bare.elapsedMs;
  const rows: BenchResult['rows'] = [
    { path: 'bare CSR verify + sign', store: '-', 'req/s': bareRate, 'p50 ms': '-', 'p99 ms': '-' },
  ];
  const ratios: BenchResult['ratios'] = [];
  const stores: [
    string,
    (work: (env: Record<string, string>) => Promise<LoadResult>) => Promise<LoadResult>,
  ][] = [
    ['sqlite', (work) => work({})],
    ['postgres', (work) => withPostgres(options.postgresUrl, (url) => work({ DATABASE_URL: url }))],
  ];
  for (const [store, withStore] of stores) {
    const result = await withStore((env) => measureStore(store, env, options));
    const ok = result.statuses['200'] ?? 0;
    if (ok !== options.count) {
      throw new Error(
        `${store}: ${ok}/${options.count} enrollments succeeded: ${JSON.stringify(result.statuses)}`,
      );
    }
    const sorted = [...result.latencies].sort((a, b) => a - b);
    const rate = (options.count * 1000) / result.elapsedMs;
    rows.push({
      path: `POST /api/public/bootstrap (c=${options.concurrency})`,
      store,
      'req/s': rate,
      'p50 ms': percentile(sorted, 50),
      'p99 ms': percentile(sorted, 99),
    });
    ratios.push({
      name: `enrollment ${store} / bare signing`,
      value: rate / bareRate,
      target: { op: '>=', value: 0.7 },
    });
  }
  return { name: 'enrollment', rows, ratios };
}
