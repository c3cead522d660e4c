import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAgentBuild } from '../test/support/agent-build';
import { METRICS_TOKEN, readCounters } from './lib/metrics';
import {
  cpuMillis,
  privateBytes,
  ROOT,
  rssBytes,
  scratchDir,
  startServerProcess,
  unlimitedToken,
} from './lib/processes';
import type { BenchResult } from './lib/report';

export interface FootprintOptions {
  warmupMs: number;
  /** How long each interval is watched. */
  windowMs: number;
}

const MB = 1024 * 1024;
/** Version the measured agent is built as; no release is published, so nothing is offered. */
const AGENT_VERSION = '1.0.0';

interface Watched {
  cpuMs: number;
  rssMeanMb: number;
  rssMaxMb: number;
  privateMaxMb: number;
}

/** CPU used, and RSS and private memory sampled every second, per process, over one window. */
async function watch(pids: number[], windowMs: number): Promise<Watched[]> {
  const cpuBefore = pids.map(cpuMillis);
  const rss: number[][] = pids.map(() => []);
  const own: number[][] = pids.map(() => []);
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    for (const [index, pid] of pids.entries()) {
      rss[index]?.push(rssBytes(pid) / MB);
      own[index]?.push(privateBytes(pid) / MB);
    }
    await sleep(Math.min(1000, Math.max(0, end - Date.now())));
  }
  return pids.map((pid, index) => {
    const samples = rss[index] ?? [];
    return {
      cpuMs: cpuMillis(pid) - (cpuBefore[index] ?? 0),
      rssMeanMb: samples.reduce((sum, value) => sum + value, 0) / Math.max(samples.length, 1),
      rssMaxMb: Math.max(...samples),
      privateMaxMb: Math.max(...(own[index] ?? [])),
    };
  });
}

/** The sleeping single executable, built (once, then cached) in a process of its own. */
function sleeperBinary(): string {
  const result = spawnSync(process.execPath, ['bench/tools/sea-baseline.mjs', 'sleeper'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`building the sleeping executable: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { file: string }).file;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

function writeInterval(configDir: string, seconds: number): void {
  const file = path.join(configDir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, `${JSON.stringify({ ...config, interval: seconds }, null, 2)}\n`);
}

/**
 * The built linux-amd64 agent against a local server, watched with a bare Node single
 * executable that only sleeps (same Node binary, same build steps) running beside it over the
 * same window: first at a 1-second interval, to measure the cost of one heartbeat; then at the
 * default 10-second interval, to check the extrapolation against a direct measurement.
 */
export async function footprintBench(options: FootprintOptions): Promise<BenchResult> {
  const build = await ensureAgentBuild({
    version: AGENT_VERSION,
    channel: 'stable',
    targets: ['linux-amd64'],
  });
  const agentBinary = build.files['linux-amd64'];
  const sleeper = sleeperBinary();
  const server = await startServerProcess({ OPTRALIS_METRICS_TOKEN: METRICS_TOKEN }, 'footprint');
  const configDir = scratchDir('agent');
  const children: ChildProcess[] = [];
  try {
    const token = await unlimitedToken(server);
    await new Promise<void>((resolve, reject) => {
      const enroll = spawn(
        agentBinary,
        ['enroll', '--url', server.publicUrl, '--config-dir', configDir, '--json'],
        { env: { ...process.env, OPTRALIS_TOKEN: token }, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      enroll.once('error', reject);
      enroll.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`enroll: ${code}`)),
      );
    });
    const log = fs.openSync(path.join(configDir, 'agent.log'), 'a');
    const bare = spawn(sleeper, [], { stdio: 'ignore' });
    children.push(bare);

    const phase = async (intervalSeconds: number) => {
      writeInterval(configDir, intervalSeconds);
      const agent = spawn(agentBinary, ['run', '--config-dir', configDir, '--log-dir', configDir], {
        stdio: ['ignore', log, log],
      });
      children.push(agent);
      await sleep(options.warmupMs);
      const before = await readCounters(server.publicUrl);
      const [measured, baseline] = await watch([agent.pid ?? 0, bare.pid ?? 0], options.windowMs);
      const after = await readCounters(server.publicUrl);
      await stopProcess(agent);
      return {
        agent: measured as Watched,
        bare: baseline as Watched,
        heartbeats: after.heartbeats - before.heartbeats,
      };
    };
    const fast = await phase(1);
    const slow = await phase(10);

    // Per heartbeat: what the agent used beyond the sleeping executable, divided by heartbeats.
    const perHeartbeatMs = (fast.agent.cpuMs - fast.bare.cpuMs) / Math.max(fast.heartbeats, 1);
    const idleShare = fast.bare.cpuMs / options.windowMs;
    const extrapolated = (idleShare + perHeartbeatMs / 10_000) * 100;
    const measuredAt10 = (slow.agent.cpuMs / options.windowMs) * 100;
    const rssMax = Math.max(fast.agent.rssMaxMb, slow.agent.rssMaxMb);
    const row = (
      name: string,
      interval: string,
      watched: Watched,
      heartbeats: number | string,
    ) => ({
      process: name,
      interval,
      heartbeats,
      'CPU ms': watched.cpuMs,
      'CPU % of a core': (watched.cpuMs / options.windowMs) * 100,
      'RSS mean MB': watched.rssMeanMb,
      'RSS max MB': watched.rssMaxMb,
      'private max MB': watched.privateMaxMb,
    });
    return {
      name: 'agent footprint',
      rows: [
        row('optralis-agent', '1 s', fast.agent, fast.heartbeats),
        row('sleeping node SEA', '-', fast.bare, '-'),
        row('optralis-agent', '10 s', slow.agent, slow.heartbeats),
        row('sleeping node SEA', '-', slow.bare, '-'),
      ],
      notes: [
        `linux-amd64 agent ${AGENT_VERSION}, ${options.windowMs / 1000} s watched per interval ` +
          `after ${options.warmupMs / 1000} s of warm-up; RSS sampled every second.`,
        `CPU per heartbeat beyond the sleeping executable: ${perHeartbeatMs.toFixed(2)} ms; ` +
          `RSS beyond it: ${(fast.agent.rssMeanMb - fast.bare.rssMeanMb).toFixed(1)} MB.`,
        'RSS counts the pages of the executable a process has touched (clean, shared with the ' +
          `page cache); its private memory is the anonymous part: at most ${fast.agent.privateMaxMb.toFixed(1)} MB for the agent.`,
        `At the 10-second interval, measured directly: ${measuredAt10.toFixed(3)} % of a core ` +
          '(CPU time is counted in 10 ms ticks, so short windows are coarse).',
      ],
      ratios: [
        {
          name: 'agent RSS in MB (highest sample)',
          value: rssMax,
          target: { op: '<=', value: 80 },
        },
        {
          name: '% of a core at a 10-second interval (extrapolated)',
          value: extrapolated,
          target: { op: '<=', value: 1 },
        },
      ],
      metrics: {
        cpu_ms_per_heartbeat: perHeartbeatMs,
        rss_over_sleeper_mb: fast.agent.rssMeanMb - fast.bare.rssMeanMb,
        cpu_percent_at_10s_measured: measuredAt10,
        private_max_mb: Math.max(fast.agent.privateMaxMb, slow.agent.privateMaxMb),
      },
    };
  } finally {
    await Promise.all(children.map(stopProcess));
    await server.stop();
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}
