import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from './errors';

const SRC = path.dirname(new URL(import.meta.url).pathname);
const DOC = path.resolve(SRC, '../../../docs/errors.md');
const AGENT_SRC = path.resolve(SRC, '../../agent/src');
const AGENT_SECTION = "## The agent's own errors";

/** The cells of the rows of a table whose first cell is a code, in one part of docs/errors.md. */
function tableRows(part: 'server' | 'agent'): string[][] {
  const text = fs.readFileSync(DOC, 'utf8');
  const start = text.indexOf(AGENT_SECTION);
  expect(start, `docs/errors.md has a section "${AGENT_SECTION}"`).toBeGreaterThan(0);
  const section = part === 'server' ? text.slice(0, start) : text.slice(start);
  return section
    .split('\n')
    .filter((line) => /^\| `[a-z_]+` \|/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

/** Rows of the catalogue table in docs/errors.md: code and status. */
function documentedCodes(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const [code, status] of tableRows('server')) {
    rows.set(code?.replaceAll('`', '') ?? '', Number(status));
  }
  return rows;
}

/** TypeScript sources under `dir`, tests left out. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Source files of the server, tests and the catalogue itself left out. */
function serverSources(dir: string): string[] {
  return sources(dir).filter((file) => file !== path.join(SRC, 'errors.ts'));
}

/**
 * Every `new AgentError('code', message, exit)` of the agent with a literal code, and the exit
 * statuses given with it (a named constant is looked up among the agent's numeric constants).
 * Codes passed on from the server's answers are not literals and are left out.
 */
function agentErrorCodes(): Map<string, Set<number>> {
  const files = sources(AGENT_SRC).map((file) =>
    ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true),
  );
  const constants = new Map<string, number>();
  const calls: ts.NewExpression[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && node.initializer && ts.isIdentifier(node.name)) {
      if (ts.isNumericLiteral(node.initializer)) {
        constants.set(node.name.text, Number(node.initializer.text));
      }
    }
    if (ts.isNewExpression(node) && node.expression.getText() === 'AgentError') calls.push(node);
    ts.forEachChild(node, visit);
  };
  for (const file of files) visit(file);

  const codes = new Map<string, Set<number>>();
  for (const call of calls) {
    const [code, , exit] = call.arguments ?? [];
    if (!code || !ts.isStringLiteral(code)) continue;
    const exits = codes.get(code.text) ?? new Set<number>();
    codes.set(code.text, exits);
    if (!exit) continue;
    const status = ts.isNumericLiteral(exit) ? Number(exit.text) : constants.get(exit.getText());
    expect(status, `the exit status of ${code.text} (${exit.getText()})`).toBeDefined();
    exits.add(status ?? -1);
  }
  return codes;
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

  it('says for every code what it means and what the caller should do', () => {
    const rows = tableRows('server');
    expect(rows.length).toBe(Object.keys(ERROR_CATALOGUE).length);
    for (const [code, , meaning, todo] of rows) {
      expect(meaning, `meaning of ${code}`).toMatch(/\w{3}/);
      expect(todo, `what to do on ${code}`).toMatch(/\w{3}/);
    }
  });
});

describe("the agent's error table", () => {
  const used = agentErrorCodes();
  const rows = tableRows('agent');

  it('lists exactly the codes the agent raises, each with its exit statuses', () => {
    const documented = Object.fromEntries(
      rows.map(([code, exit]) => [
        code?.replaceAll('`', ''),
        [...(exit?.matchAll(/\d+/g) ?? [])].map(Number).sort((a, b) => a - b),
      ]),
    );
    const raised = Object.fromEntries(
      [...used].map(([code, exits]) => [code, [...exits].sort((a, b) => a - b)]),
    );
    expect(Object.keys(raised).length).toBeGreaterThan(10);
    expect(documented).toEqual(raised);
  });

  it('says for every code what it means and what to do', () => {
    for (const [code, exit, meaning, todo] of rows) {
      expect(exit, `exit of ${code}`).toMatch(/^exit \d+(, \d+)*$/);
      expect(meaning, `meaning of ${code}`).toMatch(/\w{3}/);
      expect(todo, `what to do on ${code}`).toMatch(/\w{3}/);
    }
  });
});
