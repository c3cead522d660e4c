// Two builds of the server side by side under the same heartbeat load at the same time, so that
// whatever else the machine is doing falls on both alike: the fair way to tell a before from an
// after on a shared machine. Prints the server CPU time per heartbeat of each, round by round.
//
//   node --import tsx bench/tools/paired-ingest.ts BEFORE.mjs AFTER.mjs [--rounds 5]
//        [--seconds 5] [--connections 8] [--handshake]
//
// Each file is a server bundle (a copy of packages/server/dist/optralis.mjs) inside the
// repository, for example bench/results/before/optralis.mjs (bench/results is not committed).
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuMillis,
  enrollIdentities,
  runLoad,
  type ServerProcess,
  startServerProcess,
} from '../lib/processes';

interface LoadResult {
  completed: number;
  statuses: Record<string, number>;
}

const { values, positionals } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    handshake: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
if (positionals.length !== 2) {
  process.stderr.write('usage: paired-ingest.ts BEFORE.mjs AFTER.mjs [--rounds N] [--seconds S]\n');
  process.exit(64);
}
const entries = positionals.map((entry) => path.resolve(entry));
const rounds = Number(values.rounds);
const durationMs = Number(values.seconds) * 1000;
const connections = Number(values.connections);
const mode = values.handshake ? 'handshake' : 'keepalive';

const servers: ServerProcess[] = [];
try {
  for (const [index, entry] of entries.entries()) {
    servers.push(await startServerProcess({}, `paired-${index}`, entry));
  }
  const fleets = await Promise.all(servers.map((server) => enrollIdentities(server, connections)));
  const load = (index: number, ms: number) => {
    const server = servers[index] as ServerProcess;
    const fleet = fleets[index] as Awaited<ReturnType<typeof enrollIdentities>>;
    return runLoad<LoadResult>('heartbeat.ts', {
      url: server.agentApiUrl,
      mode,
      identities: fleet.identities,
      ca: fleet.ca,
      connections,
      durationMs: ms,
      bodyBytes: 2048,
    });
  };
  await Promise.all(servers.map((_, index) => load(index, 1500)));

  const totals = servers.map(() => ({ cpuMs: 0, completed: 0 }));
  for (let round = 1; round <= rounds; round++) {
    const before = servers.map((server) => cpuMillis(server.child.pid ?? 0));
    const results = await Promise.all(servers.map((_, index) => load(index, durationMs)));
    const cells = results.map((result, index) => {
      const bad = result.completed - (result.statuses['200'] ?? 0);
      if (bad > 0) throw new Error(`${entries[index]}: ${JSON.stringify(result.statuses)}`);
      const cpuMs = cpuMillis(servers[index]?.child.pid ?? 0) - (before[index] ?? 0);
      const total = totals[index] as { cpuMs: number; completed: number };
      total.cpuMs += cpuMs;
      total.completed += result.completed;
      return `${((cpuMs * 1000) / result.completed).toFixed(0)} µs`;
    });
    process.stdout.write(`round ${round}: before ${cells[0]}, after ${cells[1]}\n`);
  }
  const perRequest = totals.map((total) => (total.cpuMs * 1000) / total.completed);
  const [first = 0, second = 0] = perRequest;
  process.stdout.write(
    `server CPU per heartbeat (${mode}): before ${first.toFixed(0)} µs, after ` +
      `${second.toFixed(0)} µs, after / before ${(second / first).toFixed(3)}\n`,
  );
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
