import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { activateCa, rotateCa, x509 } from '../../packages/server/src/ca';
import { loadConfig } from '../../packages/server/src/config';
import { revokeMachine } from '../../packages/server/src/machines/store';
import { type RunningServer, reloadCaTrust, startServer } from '../../packages/server/src/server';
import { enrollTestMachine, newClient } from '../support/machines';
import { REPO_ROOT } from '../support/paths';
import { freePort } from '../support/ports';
import { agentBundle, optralis } from '../support/processes';
import { hasBelievableSensor } from '../support/sensors';
import { type TestServer, tempDir } from '../support/server';

/** `optralis-agent run` as bundled from the current sources, with its own log directory. */
function startAgent(configDir: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [agentBundle(), 'run', '--config-dir', configDir, ...extra],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

function editConfig(configDir: string, values: Record<string, number>) {
  const file = path.join(configDir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...config, ...values }, null, 2));
}

/** Polls `check` until it gives a value; the bound only guards against a hang. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`never happened: ${what}`);
}

function logLines(configDir: string): string[] {
  const file = path.join(configDir, 'logs', 'agent.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** A server on fixed ports over a data directory that outlives it, so it can be restarted. */
async function fixedServer(dataDir: string, ports: { http: number; agent: number }, env = {}) {
  const config = loadConfig({
    OPTRALIS_DATA_DIR: dataDir,
    OPTRALIS_HTTP_PORT: String(ports.http),
    OPTRALIS_AGENT_PORT: String(ports.agent),
    OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
    OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
    OPTRALIS_HEARTBEAT_FLUSH_MS: '100',
    ...env,
  });
  const server = await startServer(config, { log: pino({ level: 'silent' }) });
  return { ...server, dataDir, config, env: {}, stop: () => server.close() } as TestServer;
}

async function lastSeen(server: RunningServer, machineId: string) {
  const row = await server.ctx.db
    .selectFrom('machines')
    .select('last_seen_at')
    .where('id', '=', machineId)
    .executeTakeFirst();
  return row?.last_seen_at ? Date.parse(row.last_seen_at) : undefined;
}

describe('the agent service over time', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('rides out a server outage on its own, logging the outage and the recovery once', async () => {
    const dataDir = tempDir('outage');
    const ports = { http: await freePort(), agent: await freePort() };
    let server = await fixedServer(dataDir, ports);
    cleanups.push(() => server.stop());
    const machine = await enrollTestMachine(server, await newClient(server), 'outage-01');
    editConfig(machine.configDir, { interval: 1, collectors_interval: 2 });
    const agent = startAgent(machine.configDir);
    cleanups.push(() => agent.stop());

    await eventually(async () => lastSeen(server, machine.machineId), 'a first heartbeat');
    await server.stop();
    const downAt = Date.now();
    // Long enough for several failed attempts with backoff.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    server = await fixedServer(dataDir, ports);
    cleanups.push(() => server.stop());
    await eventually(async () => {
      const seen = await lastSeen(server, machine.machineId);
      return seen !== undefined && seen > downAt + 6_000 ? seen : undefined;
    }, 'a heartbeat after the restart');

    // Samples taken during the outage reach the server after it, with the inventory.
    const inventory = await eventually(
      () =>
        server.ctx.db
          .selectFrom('machine_inventory')
          .select(['os_name', 'report'])
          .where('machine_id', '=', machine.machineId)
          .executeTakeFirst(),
      'an inventory',
    );
    expect(inventory.os_name.length).toBeGreaterThan(0);
    const samples = await eventually(async () => {
      const rows = await server.ctx.db
        .selectFrom('machine_metrics')
        .select('at')
        .where('machine_id', '=', machine.machineId)
        .execute();
      return rows.some((row) => Date.parse(row.at) > downAt && Date.parse(row.at) < downAt + 5_000)
        ? rows
        : undefined;
    }, 'samples taken while the server was away');
    expect(samples.length).toBeGreaterThan(3);

    expect(agent.child.exitCode).toBeNull();
    expect(await agent.stop()).toBe(0);
    const lines = logLines(machine.configDir);
    expect(lines.filter((line) => line.includes('cannot reach the server'))).toHaveLength(1);
    const restored = lines.filter((line) => line.includes('connection to the server restored'));
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatch(/failed_attempts=([2-9]|\d\d+)/);
    // Started, down, back: a handful of lines for dozens of heartbeats and several failures.
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(agent.stderr()).toBe(lines.map((line) => `${line}\n`).join(''));
  });

  it('reports the machine’s real uptime, memory, disk, CPU use and temperature', async () => {
    const server = await fixedServer(tempDir('readings'), {
      http: await freePort(),
      agent: await freePort(),
    });
    cleanups.push(() => server.stop());
    const machine = await enrollTestMachine(server, await newClient(server), 'readings-01');
    editConfig(machine.configDir, { interval: 1 });
    const uptimeBefore = os.uptime();
    const agent = startAgent(machine.configDir);
    cleanups.push(() => agent.stop());

    // The first heartbeat has no CPU figure yet (use is measured between two readings).
    const row = await eventually(async () => {
      const found = await server.ctx.db
        .selectFrom('machines')
        .selectAll()
        .where('id', '=', machine.machineId)
        .executeTakeFirst();
      return found?.cpu_percent !== null && found?.cpu_percent !== undefined ? found : undefined;
    }, 'a heartbeat with a CPU reading');
    const uptimeAfter = os.uptime();
    expect(await agent.stop()).toBe(0);

    expect(row.platform).toBe('linux');
    expect(row.arch).toBe(process.arch === 'arm64' ? 'arm64' : 'amd64');
    expect(row.agent_version).toMatch(/^\d+\.\d+\.\d+/);

    const uptime = Number(row.uptime_seconds);
    expect(uptime).toBeGreaterThan(0);
    expect(uptime).toBeGreaterThanOrEqual(Math.floor(uptimeBefore) - 1);
    expect(uptime).toBeLessThanOrEqual(Math.ceil(uptimeAfter) + 1);

    expect(row.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(row.cpu_percent).toBeLessThanOrEqual(100);

    // The agent runs on this machine: the totals are this machine's.
    expect(Number(row.memory_total_bytes)).toBe(os.totalmem());
    expect(Number(row.memory_used_bytes)).toBeGreaterThan(0);
    expect(Number(row.memory_used_bytes)).toBeLessThanOrEqual(Number(row.memory_total_bytes));
    const root = fs.statfsSync('/');
    expect(Number(row.disk_total_bytes)).toBe(root.blocks * root.bsize);
    expect(Number(row.disk_used_bytes)).toBeGreaterThan(0);
    expect(Number(row.disk_used_bytes)).toBeLessThanOrEqual(Number(row.disk_total_bytes));

    // Without a sensor the agent sends -1, which the server stores as "unavailable".
    if (hasBelievableSensor()) {
      expect(row.temperature_c).toBeGreaterThanOrEqual(1);
      expect(row.temperature_c).toBeLessThanOrEqual(150);
    } else {
      expect(row.temperature_c).toBeNull();
    }
  });

  it('names the server’s refusal of a revoked machine once, not as an unreachable server', async () => {
    const server = await fixedServer(tempDir('revoked'), {
      http: await freePort(),
      agent: await freePort(),
    });
    cleanups.push(() => server.stop());
    const machine = await enrollTestMachine(server, await newClient(server), 'revoked-01');
    editConfig(machine.configDir, { interval: 1 });
    const agent = startAgent(machine.configDir);
    cleanups.push(() => agent.stop());
    await eventually(async () => lastSeen(server, machine.machineId), 'a first heartbeat');

    expect(await revokeMachine(server.ctx.db, machine.machineId, null, new Date())).toBe(true);
    const refused = (line: string) => line.includes('server refused the heartbeat');
    await eventually(
      async () => (logLines(machine.configDir).some(refused) ? true : undefined),
      'the refusal in the log',
    );
    // Several more refused attempts (backoff from a 1 s interval) add no line.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(agent.child.exitCode).toBeNull();
    expect(await agent.stop()).toBe(0);
    const lines = logLines(machine.configDir);
    expect(lines.filter(refused)).toHaveLength(1);
    expect(lines.find(refused)).toContain('code=machine_revoked status=403');
    expect(lines.filter((line) => line.includes('cannot reach the server'))).toEqual([]);
  });

  it('renews a short-lived certificate before it expires and keeps working', async () => {
    const dataDir = tempDir('renewal');
    const ports = { http: await freePort(), agent: await freePort() };
    const server = await fixedServer(dataDir, ports, { OPTRALIS_CERT_LIFETIME_SECONDS: '12' });
    cleanups.push(() => server.stop());
    const machine = await enrollTestMachine(server, await newClient(server), 'renew-e2e-01');
    editConfig(machine.configDir, { interval: 1 });
    const firstExpiry = Date.now() + 12_000;
    const agent = startAgent(machine.configDir);
    cleanups.push(() => agent.stop());

    // Two renewals: the agent lived through more than one full lifetime.
    const certificates = await eventually(async () => {
      const rows = await server.ctx.db
        .selectFrom('certificates')
        .select(['serial', 'revoked_at', 'not_after'])
        .where('machine_id', '=', machine.machineId)
        .orderBy('issued_at')
        .execute();
      return rows.length >= 3 ? rows : undefined;
    }, 'two renewals');
    const seen = await eventually(async () => {
      const at = await lastSeen(server, machine.machineId);
      return at !== undefined && at > firstExpiry + 1_000 ? at : undefined;
    }, 'a heartbeat after the first certificate expired');
    expect(seen).toBeGreaterThan(firstExpiry);
    // Each certificate was revoked once its successor was used.
    expect(certificates[0]?.revoked_at).not.toBeNull();

    expect(await agent.stop()).toBe(0);
    const lines = logLines(machine.configDir);
    expect(
      lines.filter((line) => line.includes('certificate renewed')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(lines.filter((line) => / (WARN|ERROR) /.test(line))).toEqual([]);
    // Many heartbeats, one line saying they are accepted.
    expect(lines.filter((line) => line.includes('the server accepts the heartbeats'))).toHaveLength(
      1,
    );
    const key = fs.readFileSync(path.join(machine.configDir, 'client.key'), 'utf8');
    expect(key).not.toBe(machine.key);
    expect(fs.statSync(path.join(machine.configDir, 'client.key')).mode & 0o777).toBe(0o600);
  });

  it('moves onto a rotated CA by itself, so that the old CA retires without cutting it off', async () => {
    const dataDir = tempDir('rotation');
    const ports = { http: await freePort(), agent: await freePort() };
    const server = await fixedServer(dataDir, ports);
    cleanups.push(() => server.stop());
    const machine = await enrollTestMachine(server, await newClient(server), 'rotate-e2e-01');
    editConfig(machine.configDir, { interval: 1 });
    const agent = startAgent(machine.configDir);
    cleanups.push(() => agent.stop());
    await eventually(async () => lastSeen(server, machine.machineId), 'a first heartbeat');

    const hosts = ['localhost', '127.0.0.1', '::1'];
    await rotateCa(server.config.caDir, new Date());
    await reloadCaTrust(server.ctx, server.agentApp, hosts);
    activateCa(server.config.caDir);
    await reloadCaTrust(server.ctx, server.agentApp, hosts);
    const newIssuer = server.ctx.caTrust.active.certificate.subject;
    await eventually(async () => {
      const rows = await server.ctx.db
        .selectFrom('certificates')
        .select(['pem', 'revoked_at'])
        .where('machine_id', '=', machine.machineId)
        .execute();
      const current = rows.filter((row) => row.revoked_at === null);
      return current.length === 1 &&
        new x509.X509Certificate(current[0]?.pem ?? '').issuer === newIssuer
        ? true
        : undefined;
    }, 'the machine to hold one certificate, from the new CA');
    const bundle = fs.readFileSync(path.join(machine.configDir, 'ca.crt'), 'utf8');
    expect(x509.PemConverter.decode(bundle)).toHaveLength(2);

    // No machine depends on the old CA any more: retiring needs no --force.
    const retired = await optralis(['--json', 'ca', 'retire'], {
      OPTRALIS_DATA_DIR: dataDir,
      OPTRALIS_LOG_LEVEL: 'silent',
    });
    expect(retired.code, retired.stderr).toBe(0);
    await reloadCaTrust(server.ctx, server.agentApp, hosts);
    const retiredAt = Date.now();
    await eventually(async () => {
      const stored = fs.readFileSync(path.join(machine.configDir, 'ca.crt'), 'utf8');
      const seen = await lastSeen(server, machine.machineId);
      return x509.PemConverter.decode(stored).length === 1 && seen !== undefined && seen > retiredAt
        ? true
        : undefined;
    }, 'heartbeats after the retirement, with the one-CA bundle stored');

    expect(await agent.stop()).toBe(0);
    const lines = logLines(machine.configDir);
    expect(lines.filter((line) => line.includes('stored the new CA trust bundle'))).toHaveLength(2);
    expect(lines.filter((line) => line.includes('certificate renewed'))).toHaveLength(1);
    expect(lines.filter((line) => / (WARN|ERROR) /.test(line))).toEqual([]);
  });
});
