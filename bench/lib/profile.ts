// Reads V8 CPU profiles (`.cpuprofile`, as `--cpu-prof` writes them).
import path from 'node:path';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
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

/**
 * Where the time of one or more profiles went: self time by package or file and by function, and
 * total time (the function and what it called). V8 samples the main thread by the clock, so a
 * thread descheduled inside a native call (a socket write that wakes the reader, on a busy
 * machine) shows as time in that call.
 */
export function summarise(profiles: Profile[], top: number): string {
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
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
    `busy time ${(total / 1000).toFixed(0)} ms in ${profiles.length} profile(s)`,
    table('self time by package or file:', byOwner),
    table('self time by function:', byFunction),
    table('total time (self and callees) by function:', inclusive),
  ].join('\n\n');
}
