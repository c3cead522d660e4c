// The benchmark harness's own arithmetic, on made-up numbers: no benchmark runs here, and no
// time is measured or asserted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Profile, summarise } from '../../bench/lib/profile';
import { type BenchResult, meets, percentile, printSummary } from '../../bench/lib/report';

function printed(run: () => void): string {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  run();
  const text = write.mock.calls.map((call) => String(call[0])).join('');
  write.mockRestore();
  return text;
}

describe('benchmark reports', () => {
  afterEach(() => vi.restoreAllMocks());

  it('tells a met target from a missed one, and a ratio that has none', () => {
    expect(meets({ name: 'a', value: 0.8, target: { op: '>=', value: 0.75 } })).toBe(true);
    expect(meets({ name: 'b', value: 0.03, target: { op: '<=', value: 0.02 } })).toBe(false);
    expect(meets({ name: 'c', value: 0.4 })).toBeUndefined();
  });

  it('summarises repeated runs by their median and lists every run', () => {
    const run = (value: number): BenchResult[] => [
      {
        name: 'ingest',
        rows: [],
        ratios: [{ name: 'x', value, target: { op: '>=', value: 0.5 } }],
      },
    ];
    const text = printed(() => printSummary([run(0.6), run(0.2), run(0.4)]));
    expect(text).toContain('== ratios (3 runs)');
    expect(text).toContain('ingest: x: 0.400 (runs: 0.200, 0.400, 0.600), target >= 0.5: NOT MET');
  });

  it('takes percentiles by rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 99)]).toEqual([50, 99]);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('profile summaries', () => {
  it('splits self time by function and counts callers in total time', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile: Profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        { id: 2, callFrame: frame('handler', 'file:///app/server.mjs'), children: [3] },
        { id: 3, callFrame: frame('parse', 'file:///app/node_modules/zod/index.js') },
        { id: 4, callFrame: frame('(idle)', '') },
      ],
      samples: [3, 3, 2, 4],
      timeDeltas: [1000, 1000, 2000, 5000],
    };
    const text = summarise([profile], 5);
    expect(text).toContain('busy time 4 ms in 1 profile(s)');
    expect(text).toMatch(/50\.0 %\s+2 ms {2}zod\n/);
    expect(text).toMatch(/50\.0 %\s+2 ms {2}server\.mjs\n/);
    expect(text).toMatch(/100\.0 %\s+4 ms {2}handler {2}server\.mjs:1/);
  });
});
