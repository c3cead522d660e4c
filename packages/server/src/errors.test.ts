import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from './errors';

const SRC = path.dirname(new URL(import.meta.url).pathname);
const DOC = path.resolve(SRC, '../../../docs/errors.md');

/** Rows of the catalogue table in docs/errors.md: code and status. */
function documentedCodes(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of fs.readFileSync(DOC, 'utf8').split('\n')) {
    const match = line.match(/^\| `([a-z_]+)` \| (\d{3}) \|/);
    if (match?.[1] && match[2]) rows.set(match[1], Number(match[2]));
  }
  return rows;
}

/** Source files of the server, tests and the catalogue itself left out. */
function serverSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return serverSources(full);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) return [];
    return full === path.join(SRC, 'errors.ts') ? [] : [full];
  });
}

describe('the error catalogue', () => {
  const documented = documentedCodes();

  it('documents every code with its status, and nothing else', () => {
    const catalogue = Object.fromEntries(
      Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.status]),
    );
    expect(Object.fromEntries(documented)).toEqual(catalogue);
  });

  it('has no code the server never sends', () => {
    const source = serverSources(SRC)
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
    const unused = Object.keys(ERROR_CATALOGUE).filter((code) => !source.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });
});
