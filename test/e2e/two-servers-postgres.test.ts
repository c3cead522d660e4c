import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCa } from '../../packages/server/src/ca';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/postgres';
import { json, optralis, type ServerProcess, startServerProcess } from '../support/processes';
import { tempDir } from '../support/server';

describe('two server processes on one PostgreSQL', () => {
  let database: ThrowawayDatabase;
  let servers: ServerProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createThrowawayDatabase('replicas');
    const shared = tempDir('replicas');
    const caDir = path.join(shared, 'ca');
    await initCa(caDir, { now: new Date() });
    env = {
      DATABASE_URL: database.url,
      OPTRALIS_CA_DIR: caDir,
      OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
      OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0',
      OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '0',
    };
    // Started together: both migrate and both try to make the first super-admin.
    servers = await Promise.all(
      ['a', 'b'].map((name) =>
        startServerProcess({ ...env, OPTRALIS_DATA_DIR: path.join(shared, name) }),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  it('never overspend one token under 50 concurrent bootstraps spread over both', async () => {
    const client = json<{ id: string }>(
      await optralis(['--json', 'client', 'create', 'Acme'], env),
    );
    const token = json<{ id: string; token: string }>(
      await optralis(['--json', 'token', 'create', '--client', client.id, '--max-usage', '5'], env),
    );

    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const server = servers[i % 2] as ServerProcess;
        const response = await fetch(`${server.publicUrl}/api/public/bootstrap`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: token.token, hostname: `r-${i}`, hardware_id: `r-${i}` }),
        });
        return { status: response.status, body: await response.text(), server: i % 2 };
      }),
    );
    const enrolled = answers.filter((answer) => answer.status === 200);
    expect(enrolled).toHaveLength(5);
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body).error.code).toBe('token_exhausted');
    }

    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const count = async (table: string) =>
        Number(
          (await db.query(`SELECT count(*) AS n FROM ${table} WHERE token_id = $1`, [token.id]))
            .rows[0].n,
        );
      expect(await count('machines')).toBe(5);
      expect(await count('certificates')).toBe(5);
      const usage = await db.query('SELECT usage_count FROM install_tokens WHERE id = $1', [
        token.id,
      ]);
      expect(usage.rows[0].usage_count).toBe(5);
      const admins = await db.query("SELECT count(*) AS n FROM users WHERE role = 'super_admin'");
      expect(Number(admins.rows[0].n)).toBe(1);
    } finally {
      await db.end();
    }
  });
});
