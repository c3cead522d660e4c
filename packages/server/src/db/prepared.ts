import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './database';

/** Stands for argument N while the query is built (the values are put in by position). */
const MARK = 'optralis-prepared-argument:';

interface Compiled<Row> {
  query: CompiledQuery<Row>;
  /** For each parameter of the compiled query: the argument it takes, or undefined (a constant). */
  slots: (number | undefined)[];
}

/**
 * A query of fixed shape, built and compiled to SQL once per database; each call only puts its
 * arguments in. Kysely builds a query as a tree of frozen objects and compiles it on every call,
 * which on the agent API took longer than SQLite took to answer: a heartbeat spent a third of
 * its server time building the one query that authenticates it.
 *
 * `build` must use each argument as a value as it is given (in a `where`, a `values`…), not
 * decide the shape of the query from it: the first call checks that every argument reached the
 * compiled parameters.
 */
export function preparedQuery<Args extends string[], Row>(
  build: (db: Db, ...args: Args) => Compilable<Row>,
): (db: Db, ...args: Args) => Promise<Row[]> {
  const byDatabase = new WeakMap<Db, Compiled<Row>>();
  const compile = (db: Db, arity: number): Compiled<Row> => {
    const marks = Array.from({ length: arity }, (_, index) => `${MARK}${index}`) as Args;
    const query = build(db, ...marks).compile();
    const slots = query.parameters.map((parameter) =>
      typeof parameter === 'string' && parameter.startsWith(MARK)
        ? Number(parameter.slice(MARK.length))
        : undefined,
    );
    for (let index = 0; index < arity; index++) {
      if (!slots.includes(index)) {
        throw new Error(`prepared query: argument ${index} is not a parameter of ${query.sql}`);
      }
    }
    return { query, slots };
  };
  return async (db, ...args) => {
    let compiled = byDatabase.get(db);
    if (!compiled) {
      compiled = compile(db, args.length);
      byDatabase.set(db, compiled);
    }
    const { query, slots } = compiled;
    const parameters = query.parameters.map((constant, index) => {
      const slot = slots[index];
      return slot === undefined ? constant : args[slot];
    });
    const result = await db.executeQuery<Row>({ ...query, parameters });
    return result.rows;
  };
}
