/** What one benchmark measured: a table for people, ratios against its baseline for comparison. */
export interface BenchResult {
  name: string;
  rows: Record<string, string | number>[];
  ratios: Ratio[];
  notes?: string[];
  /** Figures worth comparing between commits that are not ratios (sizes, fleet sizes). */
  metrics?: Record<string, number>;
}

export interface Ratio {
  name: string;
  value: number;
  /** `>= x` or `<= x`; none for a ratio that is only reported. */
  target?: { op: '>=' | '<='; value: number };
}

/** Whether the target is met; undefined when the ratio has no target. */
export function meets(ratio: Ratio): boolean | undefined {
  if (!ratio.target) return undefined;
  return ratio.target.op === '>='
    ? ratio.value >= ratio.target.value
    : ratio.value <= ratio.target.value;
}

function verdict(ratio: Ratio): string {
  const met = meets(ratio);
  if (met === undefined || !ratio.target) return ' (reported, no target)';
  return `, target ${ratio.target.op} ${ratio.target.value}: ${met ? 'met' : 'NOT MET'}`;
}

/** Prints the table, the notes, then the ratios last. */
export function printResult(result: BenchResult): void {
  const out: string[] = ['', `== ${result.name}`];
  const columns = [...new Set(result.rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: string | number | undefined) =>
    value === undefined ? '' : typeof value === 'number' ? formatNumber(value) : value;
  const widths = columns.map((column) =>
    Math.max(column.length, ...result.rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out.push(line(columns), line(widths.map((width) => '-'.repeat(width))));
  for (const row of result.rows) out.push(line(columns.map((column) => cell(row[column]))));
  for (const note of result.notes ?? []) out.push(note);
  for (const ratio of result.ratios) {
    out.push(`ratio ${ratio.name}: ${ratio.value.toFixed(3)}${verdict(ratio)}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * The last lines of a run: every ratio of every benchmark. With repeated runs, the median and
 * the spread (lowest to highest), because a shared machine moves numbers from run to run.
 */
export function printSummary(runs: BenchResult[][]): void {
  const byName = new Map<string, Ratio[]>();
  for (const run of runs) {
    for (const result of run) {
      for (const ratio of result.ratios) {
        const key = `${result.name}: ${ratio.name}`;
        byName.set(key, [...(byName.get(key) ?? []), ratio]);
      }
    }
  }
  if (byName.size === 0) return;
  const out = ['', `== ratios (${runs.length} run${runs.length === 1 ? '' : 's'})`];
  for (const [name, ratios] of byName) {
    const values = ratios.map((ratio) => ratio.value).sort((a, b) => a - b);
    const first = ratios[0] as Ratio;
    const median = percentile(values, 50);
    const spread =
      values.length > 1 ? ` (runs: ${values.map((value) => value.toFixed(3)).join(', ')})` : '';
    out.push(`${name}: ${median.toFixed(3)}${spread}${verdict({ ...first, value: median })}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
