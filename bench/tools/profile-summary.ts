// Summarises V8 CPU profiles (`.cpuprofile`, as `--cpu-prof` writes them): where the self time
// went, by package and by function. `node --import tsx bench/tools/profile-summary.ts FILE… [--top N]`
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/NAME` (or `@scope/NAME`), `node:internal`, our own file, or a V8 marker. */
function owner(url: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  return path.basename(url);
}

function summarise(files: string[], top: number): string {
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) {
      for (const child of node.children ?? []) parents.set(child, node.id);
    }
    profile.samples.forEach((id, index) => {
      const node = nodes.get(id);
      const micros = profile.timeDeltas[index] ?? 0;
      if (!node) return;
      const frame = node.callFrame;
      const name = frame.functionName || '(anonymous)';
      if (name === '(idle)') return;
      total += micros;
      const where = owner(frame.url);
      byOwner.set(where, (byOwner.get(where) ?? 0) + micros);
      const key = `${name}  ${where}:${frame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
      // Inclusive: every function on the stack once, however often it recurses.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const caller = nodes.get(at)?.callFrame;
        if (!caller) break;
        const callerKey = `${caller.functionName || '(anonymous)'}  ${owner(caller.url)}:${caller.lineNumber + 1}`;
        if (seen.has(callerKey)) continue;
        seen.add(callerKey);
        inclusive.set(callerKey, (inclusive.get(callerKey) ?? 0) + micros);
      }
    });
  }
  const table = (title: string, entries: Map<string, number>) => {
    const sorted = [...entries].sort((a, b) => b[1] - a[1]).slice(0, top);
    const lines = sorted.map(
      ([key, micros]) =>
        `${((micros / total) * 100).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`,
    );
    return [`${title}`, ...lines].join('\n');
  };
  return [
    `busy time ${(total / 1000).toFixed(0)} ms in ${files.length} profile(s)`,
    table('self time by package or file:', byOwner),
    table('self time by function:', byFunction),
    table('total time (self and callees) by function:', inclusive),
  ].join('\n\n');
}

const { values, positionals: files } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});
const top = Number(values.top);
if (files.length === 0) {
  process.stderr.write('usage: profile-summary.ts FILE.cpuprofile… [--top N]\n');
  process.exitCode = 64;
} else {
  process.stdout.write(`${summarise(files, top)}\n`);
}
