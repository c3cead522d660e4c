import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../../../test/support/postgres';
import { type Db, openDatabase } from './database';
import { preparedQuery } from './prepared';

const CLIENTS = [
  { id: 'c-1', name: 'Acme', created_at: '2026-01-01T00:00:00.000Z' },
  { id: 'c-2', name: 'Acme', created_at: '2026-02-01T00:00:00.000Z' },
  { id: 'c-3', name: 'Globex', created_at: '2026-03-01T00:00:00.000Z' },
];

/** Named `name`, created after `after`, and never the Initech placeholder (a constant). */
const clientsNamed = preparedQuery((db, name: string, after: string) =>
  db
    .selectFrom('clients')
    .select(['id', 'name'])
    .where('name', '=', name)
    .where('name', '<>', 'Initech')
    .where('created_at', '>', after)
    .orderBy('id'),
);

const sameNameOrId = preparedQuery((db, value: string) =>
  db
    .selectFrom('clients')
    .select('id')
    .where((where) => where.or([where('name', '=', value), where('id', '=', value)]))
    .orderBy('id'),
);

describe.each(['sqlite', 'postgres'] as const)('a prepared query on %s', (dialect) => {
  let db: Db;
  let dataDir: string;
  let throwaway: ThrowawayDatabase | undefined;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-prepared-'));
    if (dialect === 'postgres') throwaway = await createThrowawayDatabase('prepared');
    ({ db } = await openDatabase({ databaseUrl: throwaway?.url, dataDir }));
    await db.insertInto('clients').values(CLIENTS).execute();
  });

  afterAll(async () => {
    await db?.destroy();
    await throwaway?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each call with its own arguments, as the query built for them would', async () => {
    for (const [name, after] of [
      ['Acme', '2025-12-31'],
      ['Acme', '2026-01-15'],
      ['Globex', '2026-01-01'],
      ['Initech', '2020-01-01'],
    ] as const) {
      const built = await db
        .selectFrom('clients')
        .select(['id', 'name'])
        .where('name', '=', name)
        .where('name', '<>', 'Initech')
        .where('created_at', '>', after)
        .orderBy('id')
        .execute();
      expect(await clientsNamed(db, name, after)).toEqual(built);
    }
    expect((await clientsNamed(db, 'Acme', '2026-01-15')).map((row) => row.id)).toEqual(['c-2']);
  });

  it('puts an argument used twice in both places', async () => {
    expect(await sameNameOrId(db, 'c-3')).toEqual([{ id: 'c-3' }]);
    expect(await sameNameOrId(db, 'Acme')).toEqual([{ id: 'c-1' }, { id: 'c-2' }]);
  });

  it('takes arguments that look like SQL or like its own marks as plain values', async () => {
    expect(await clientsNamed(db, "Acme' OR '1'='1", '2000')).toEqual([]);
    expect(await sameNameOrId(db, 'optralis-prepared-argument:0')).toEqual([]);
  });

  it('refuses a builder that decides the shape of the query from an argument', async () => {
    const shaped = preparedQuery((database, name: string) =>
      database
        .selectFrom('clients')
        .select('id')
        .where('name', '=', name === 'Acme' ? 'Acme' : 'Globex'),
    );
    await expect(shaped(db, 'Acme')).rejects.toThrow(/argument 0 is not a parameter/);
  });
});
