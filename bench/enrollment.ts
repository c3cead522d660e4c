import pg from 'pg';
import { cpuMillis, runLoad, startServerProcess, unlimitedToken } from './lib/processes';
import { type BenchResult, percentile } from './lib/report';

interface LoadResult {
  elapsedMs: number;
  latencies: number[];
  statuses: Record<string, number>;
}

interface StoreResult extends LoadResult {
  /** CPU time of the Optralis server process during the measurement. */
  serverCpuMs: number;
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
): Promise<StoreResult> {
  const server = await startServerProcess(env, `enrollment-${store}`);
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
    const pid = server.child.pid ?? 0;
    const cpuBefore = cpuMillis(pid);
    const result = await runLoad<LoadResult>('bootstrap.ts', {
      url: server.publicUrl,
      token,
      count: options.count,
      concurrency: options.concurrency,
      prefix: `bench-${store}`,
    });
    return { ...result, serverCpuMs: cpuMillis(pid) - cpuBefore };
  } finally {
    await server.stop();
  }
}

/**
 * Enrollment through the real route, store and CA (CSR parsed, verified and signed), against
 * the same CSR work alone in a process of its own. The targeted ratio is the one issue 12 names:
 * bootstrap requests per second against bare signings per second. CPU time per enrollment (what
 * one core can carry, which a shared machine disturbs far less) is reported beside it without a
 * target: it shows what HTTP, validation, the token check and the store transaction cost on top
 * of the crypto. Latencies at a fixed concurrency are printed too.
 */
export async function enrollmentBench(options: EnrollmentOptions): Promise<BenchResult> {
  const bare = await runLoad<{ elapsedMs: number; cpuMs: number }>('sign-csr.ts', {
    count: options.count,
  });
  const bareRate = (options.count * 1000) / bare.elapsedMs;
  const rows: BenchResult['rows'] = [
    {
      path: 'bare CSR verify + sign',
      store: '-',
      'req/s': bareRate,
      'p50 ms': '-',
      'p99 ms': '-',
      'CPU ms/req': bare.cpuMs / options.count,
    },
  ];
  const ratios: BenchResult['ratios'] = [];
  const perCore: BenchResult['ratios'] = [];
  const bareCpuPerRequest = bare.cpuMs / options.count;
  const stores: [
    string,
    (work: (env: Record<string, string>) => Promise<StoreResult>) => Promise<StoreResult>,
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
    const cpuPerRequest = result.serverCpuMs / options.count;
    rows.push({
      path: `POST /api/public/bootstrap (c=${options.concurrency})`,
      store,
      'req/s': rate,
      'p50 ms': percentile(sorted, 50),
      'p99 ms': percentile(sorted, 99),
      'CPU ms/req': cpuPerRequest,
    });
    ratios.push({
      name: `enrollment ${store} req/s / bare signing req/s`,
      value: rate / bareRate,
      target: { op: '>=', value: 0.7 },
    });
    perCore.push({
      name: `enrollment ${store} / bare signing, per server core (CPU time per request)`,
      value: bareCpuPerRequest / cpuPerRequest,
    });
  }
  return {
    name: 'enrollment',
    rows,
    ratios: [...perCore, ...ratios],
    notes: [
      `${options.count} enrollments per store, each with a fresh P-256 key and CSR made before ` +
        'the clock starts; CPU is the server process alone (PostgreSQL runs beside it).',
    ],
  };
}
