import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_BUNDLE_FILE, initCa, x509 } from '../../packages/server/src/ca';
import { agentRequest, type ClientTls, type HttpsResult } from '../support/https';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/postgres';
import { json, optralis, type ServerProcess, startServerProcess } from '../support/processes';
import { tempDir } from '../support/server';

describe('two server processes on one PostgreSQL', () => {
  let database: ThrowawayDatabase;
  let servers: ServerProcess[] = [];
  let env: Record<string, string>;
  let caDir: string;

  beforeAll(async () => {
    database = await createThrowawayDatabase('replicas');
    const shared = tempDir('replicas');
    caDir = path.join(shared, 'ca');
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

  /** A machine enrolled through `server`, holding the key the server made for it. */
  async function enrollThrough(server: ServerProcess, hostname: string) {
    const client = json<{ id: string }>(
      await optralis(['--json', 'client', 'create', hostname], env),
    );
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', client.id], env),
    ).token;
    const response = await fetch(`${server.publicUrl}/api/public/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname, hardware_id: hostname, platform: 'linux' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    return {
      machineId: body.machine_id ?? '',
      tls: { cert: body.certificate ?? '', key: body.private_key ?? '', ca: body.ca_cert ?? '' },
    };
  }

  function heartbeat(server: ServerProcess, tls: ClientTls, extra: Record<string, unknown> = {}) {
    return agentRequest(`${server.agentApiUrl}/heartbeat`, tls, {
      body: { version: '1.4.0', platform: 'linux', arch: 'amd64', ...extra },
    });
  }

  async function adminSession(server: ServerProcess): Promise<string> {
    const response = await fetch(`${server.publicUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password: 'correct-horse-battery' }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  }

  interface ListedMachine {
    id: string;
    agent_version: string | null;
    last_seen: string | null;
    online: boolean;
    revoked_at: string | null;
  }

  async function machineAsSeenBy(server: ServerProcess, id: string) {
    const response = await fetch(`${server.publicUrl}/api/machines`, {
      headers: { authorization: `Bearer ${await adminSession(server)}` },
    });
    expect(response.status).toBe(200);
    const { machines } = (await response.json()) as { machines: ListedMachine[] };
    return machines.find((machine) => machine.id === id);
  }

  it('shows on both servers a machine enrolled through one and heartbeating through the other', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const machine = await enrollThrough(a, 'replica-seen');
    expect((await machineAsSeenBy(b, machine.machineId))?.last_seen).toBeNull();

    const answer = await heartbeat(b, machine.tls);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
    // A machine's first heartbeat on a replica is written at once, not at the next flush.
    const first = await machineAsSeenBy(a, machine.machineId);
    expect(first?.agent_version).toBe('1.4.0');
    expect(first?.online).toBe(true);
    expect(first?.last_seen).not.toBeNull();
    expect(await machineAsSeenBy(b, machine.machineId)).toEqual(first);

    // Later ones are held by B and written in its next batch, which A then shows.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await heartbeat(b, machine.tls)).status).toBe(200);
    const later = await eventually(async () => {
      const seen = await machineAsSeenBy(a, machine.machineId);
      return (seen?.last_seen ?? '') > (first?.last_seen ?? '') ? seen : undefined;
    }, "server A to show B's later heartbeat");
    expect(later.online).toBe(true);
  });

  it('refuses on the other server, at its next request, a machine revoked through one', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const machine = await enrollThrough(a, 'replica-revoked');
    // One kept-alive connection to B, as an agent holds it: revocation must reach it too.
    const connection = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await healthOver(connection, b, machine.tls);
      expect(before.status).toBe(200);

      const revoked = await fetch(`${a.publicUrl}/api/machines/${machine.machineId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await adminSession(a)}` },
      });
      expect(revoked.status).toBe(204);

      const after = await healthOver(connection, b, machine.tls);
      expect(after.localPort).toBe(before.localPort);
      expect(after.status).toBe(403);
      expect(after.body.error?.code).toBe('machine_revoked');
    } finally {
      connection.destroy();
    }
    const fresh = await heartbeat(b, machine.tls);
    expect(fresh.status).toBe(403);
    expect(fresh.body.error?.code).toBe('machine_revoked');
    expect((await machineAsSeenBy(b, machine.machineId))?.revoked_at).not.toBeNull();
  });

  it('picks up on both servers each CA rotation step made by another process', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const old = await enrollThrough(a, 'replica-rotation');
    const oldIssuer = new x509.X509Certificate(old.tls.cert).issuer;
    const oldBundle = fs.readFileSync(path.join(caDir, CA_BUNDLE_FILE), 'utf8');
    const oldSha = createHash('sha256').update(oldBundle).digest('hex');

    const rotated = await optralis(['--json', 'ca', 'rotate'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    // Published: each server hands the bundle of both CAs to an agent that holds the old one.
    let bothCas = '';
    for (const server of [a, b]) {
      const answer = await eventually(async () => {
        const beat = await heartbeat(server, old.tls, { ca_bundle_sha256: oldSha });
        return typeof beat.body.ca_bundle === 'string' ? beat : undefined;
      }, 'the server to publish the next CA');
      bothCas = answer.body.ca_bundle as string;
      expect(x509.PemConverter.decode(bothCas)).toHaveLength(2);
      expect(answer.body.renew).toBeUndefined();
    }

    const activated = await optralis(['--json', 'ca', 'activate'], env);
    expect(activated.code, activated.stderr).toBe(0);
    // Active: each server issues from the new CA and asks the old certificate to renew.
    for (const [index, server] of [a, b].entries()) {
      const fresh = await eventually(async () => {
        const machine = await enrollThrough(server, `replica-new-${index}-${Date.now()}`);
        const issuer = new x509.X509Certificate(machine.tls.cert).issuer;
        return issuer === oldIssuer ? undefined : machine;
      }, 'the server to issue from the new CA');
      expect((await heartbeat(server, fresh.tls)).body.renew).toBeUndefined();
      expect((await heartbeat(server, old.tls)).body.renew).toBe(true);
    }

    const retired = await optralis(['--json', 'ca', 'retire', '--force'], env);
    expect(retired.code, retired.stderr).toBe(0);
    // Retired: neither server lets the old CA's certificate in any more. The client trusts both
    // CAs, as the agent's bundle does, so that the refusal is the server's.
    for (const server of [a, b]) {
      const refusal = await eventually(async () => {
        const answer = await heartbeat(server, { ...old.tls, ca: bothCas });
        return answer.status === 200 ? undefined : answer;
      }, 'the server to drop the retired CA');
      expect(refusal.status).toBe(401);
      expect(refusal.body.error?.code).toBe('client_certificate_invalid');
    }
  });
});

/** GET /health over a given connection pool, with the local port the request went out from. */
function healthOver(
  connection: https.Agent,
  server: ServerProcess,
  tls: ClientTls,
): Promise<HttpsResult & { localPort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${server.agentApiUrl}/health`,
      { agent: connection, ...tls },
      (response) => {
        // Read now: once the body is read, the socket goes back to the pool.
        const localPort = response.socket.localPort;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            localPort,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** Polls `check` until it gives a value (servers look at the CA directory every 5 s). */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`never happened: ${what}`);
}
