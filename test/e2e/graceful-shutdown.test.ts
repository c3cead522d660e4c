import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../support/https';
import { REPO_ROOT } from '../support/paths';
import { admin, createThrowawayDatabase } from '../support/postgres';
import {
  json,
  optralis,
  optralisAgent,
  serverBundle,
  startServerProcess,
} from '../support/processes';
import { tempDir } from '../support/server';

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp) {
  return new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        child[stream]?.off('data', onData);
        resolve(match[0]);
      }
    };
    child[stream]?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before ${pattern}`)));
  });
}

describe('graceful shutdown', () => {
  let child: ChildProcess | undefined;
  let stopServer: (() => Promise<void>) | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await stopServer?.();
  });

  it('finishes a bootstrap in flight on SIGTERM, then exits 0', async () => {
    const dataDir = tempDir('shutdown');
    const env = {
      OPTRALIS_DATA_DIR: dataDir,
      OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
      OPTRALIS_HTTP_PORT: '0',
      OPTRALIS_AGENT_PORT: '0',
      OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
      OPTRALIS_LOG_FORMAT: 'json',
    };
    const client = json<{ id: string }>(await optralis(['--json', 'client', 'create', 'Sd'], env));
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', client.id], env),
    ).token;

    const server = spawn(process.execPath, [serverBundle(), '--json', 'serve'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = server;
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    const banner = JSON.parse(await waitFor(server, 'stdout', /\{.*\}\n/)) as {
      public_url: string;
    };
    const { port } = new URL(banner.public_url);

    // A bootstrap whose body is still arriving when the signal comes.
    const body = JSON.stringify({ token, hostname: 'inflight-01', arch: 'amd64' });
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      [
        'POST /api/public/bootstrap HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body.slice(0, 20),
      ].join('\r\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const store = path.join(dataDir, 'optralis.sqlite');
    expect(fs.existsSync(`${store}-wal`)).toBe(true);

    const stopping = waitFor(server, 'stderr', /shutting down/);
    server.kill('SIGTERM');
    await stopping;
    // New connections are refused from now on; the one in flight is served to the end.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await fetch(`${banner.public_url}/healthz`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).toBe('refused');
    socket.write(body.slice(20));
    await closed;

    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    const answer = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
      machine_id: string;
    };
    expect(answer.machine_id).toMatch(/^[0-9A-Z]{26}$/);
    expect(await exited).toBe(0);
    // SQLite deletes the write-ahead log and its shared-memory file when the last connection
    // closes (sqlite.org/wal.html); a process that exits with the store still open leaves both.
    expect(fs.existsSync(`${store}-wal`)).toBe(false);
    expect(fs.existsSync(`${store}-shm`)).toBe(false);

    const machines = json<{ hostname: string }[]>(
      await optralis(['--json', 'machines', 'list'], env),
    );
    expect(machines.map((machine) => machine.hostname)).toEqual(['inflight-01']);
  });

  it('writes the heartbeats it holds in memory before it exits', async () => {
    const dataDir = tempDir('shutdown-beats');
    const env = {
      OPTRALIS_DATA_DIR: dataDir,
      OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
      OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
      // Nothing is flushed on a timer during the test: only the shutdown writes.
      OPTRALIS_HEARTBEAT_FLUSH_MS: '60000',
    };
    const client = json<{ id: string }>(await optralis(['--json', 'client', 'create', 'Hb'], env));
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', client.id], env),
    ).token;
    const server = await startServerProcess(env);
    stopServer = () => server.stop();
    const configDir = tempDir('agent');
    const enrolled = await optralisAgent(
      ['enroll', '--url', server.publicUrl, '--config-dir', configDir, '--json'],
      { OPTRALIS_TOKEN: token },
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const read = (name: string) => fs.readFileSync(path.join(configDir, name), 'utf8');
    const identity = { cert: read('client.crt'), key: read('client.key'), ca: read('ca.crt') };
    const beat = (cpu: number) =>
      agentRequest(`${server.agentApiUrl}/heartbeat`, identity, {
        body: { version: '1.0.0', platform: 'linux', arch: 'amd64', cpu_percent: cpu },
        gzip: true,
      });
    // The first heartbeat is written at once; the later ones wait in memory.
    for (const cpu of [10, 20, 30]) expect((await beat(cpu)).status).toBe(200);

    const exit = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const machines = json<{ status: { cpu_percent: number | null } }[]>(
      await optralis(['--json', 'machines', 'list'], env),
    );
    expect(machines.map((machine) => machine.status.cpu_percent)).toEqual([30]);
  });

  it('closes its PostgreSQL connections itself before it exits', async () => {
    const database = await createThrowawayDatabase();
    const dataDir = tempDir('shutdown-pg');
    try {
      const server = await startServerProcess({
        OPTRALIS_DATA_DIR: dataDir,
        OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
        OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
        DATABASE_URL: database.url,
      });
      expect((await fetch(`${server.publicUrl}/readyz`)).status).toBe(200);
      const sessions = async () => {
        const [row] = await admin(
          `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = $1)::int AS open,
             sessions::int, sessions_abandoned::int AS abandoned
           FROM pg_stat_database WHERE datname = $1`,
          [database.name],
        );
        return row as { open: number; sessions: number; abandoned: number };
      };
      expect((await sessions()).open).toBeGreaterThan(0);

      const exit = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      expect(await exit).toBe(0);
      // The backends end a moment after their client goes; wait for the last one.
      let after = await sessions();
      while (after.open > 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await sessions();
      }
      // PostgreSQL counts a session whose client went away without saying goodbye (the
      // protocol's Terminate message, sent by pool.end()) as abandoned: a process killed with
      // its pool open counts one per connection.
      expect(after.sessions).toBeGreaterThan(0);
      expect(after.abandoned).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
