import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, scratchDir } from './lib/processes';
import type { BenchResult } from './lib/report';

interface BuildReport {
  total_seconds: number;
  node_version: string;
  targets: Record<
    string,
    { bytes: number; gzip_bytes: number | null; seconds: number; gzip_seconds: number | null }
  >;
}

interface StockNode {
  node_version: string;
  binaries: Record<string, { file: string; bytes: number }>;
}

const MB = 1024 * 1024;
const TARGETS = ['linux-amd64', 'linux-arm64', 'windows-amd64'];

/** `scripts/build-agent.mjs` for every target, in its own process; its output goes to a log. */
function runBuild(out: string, report: string, log: string): Promise<void> {
  const args = ['scripts/build-agent.mjs', '-v', '1.0.0', '-t', TARGETS.join(','), '-o', out];
  return new Promise((resolve, reject) => {
    const file = fs.openSync(log, 'w');
    const child = spawn(process.execPath, [...args, '--report', report], {
      cwd: ROOT,
      stdio: ['ignore', file, file],
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      fs.closeSync(file);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
      reject(new Error(`the agent build failed (${code}):\n${tail}`));
    });
  });
}

/**
 * The agent build as a release manager runs it: bundle, SEA blob, strip or signature removal,
 * postject, smoke test and gzip -9 for linux-amd64, linux-arm64 and windows-amd64. The official
 * Node binaries it starts from are the baseline: the sizes show what the agent adds to them and
 * what a download costs once compressed. Node binaries already in the cache are not downloaded.
 */
export async function agentBuildBench(): Promise<BenchResult> {
  const stock = spawnSync(process.execPath, ['bench/tools/sea-baseline.mjs', 'stock'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (stock.status !== 0) throw new Error(`cannot fetch the Node binaries: ${stock.stderr}`);
  const node = JSON.parse(stock.stdout) as StockNode;

  const out = scratchDir('build');
  try {
    const reportFile = path.join(out, 'report.json');
    const started = performance.now();
    await runBuild(out, reportFile, path.join(out, 'build.log'));
    const wallSeconds = (performance.now() - started) / 1000;
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as BuildReport;

    const rows: BenchResult['rows'] = [];
    const ratios: BenchResult['ratios'] = [];
    const metrics: Record<string, number> = { build_seconds: wallSeconds };
    for (const target of TARGETS) {
      const built = report.targets[target];
      const base = node.binaries[target];
      if (!built || !base) throw new Error(`the build report has no ${target}`);
      const gzip = built.gzip_bytes ?? Number.NaN;
      rows.push({
        target,
        'raw MB': built.bytes / MB,
        'gzip MB': gzip / MB,
        'Node binary MB': base.bytes / MB,
        'build s': built.seconds,
        'gzip s': built.gzip_seconds ?? '-',
      });
      ratios.push({ name: `${target} gzip / raw size`, value: gzip / built.bytes });
      metrics[`${target}_bytes`] = built.bytes;
      metrics[`${target}_gzip_bytes`] = gzip;
    }
    return {
      name: 'agent build',
      rows,
      notes: [
        `All three targets built in ${wallSeconds.toFixed(1)} s (the build's own count: ` +
          `${report.total_seconds.toFixed(1)} s), Node ${report.node_version}; ` +
          '"build s" is one target\'s copy, strip or unsigning, postject and smoke test; ' +
          '"gzip s" its gzip -9 sibling.',
        'Linux builds are stripped, so they come out smaller than the Node binary they start from.',
      ],
      ratios,
      metrics,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
