import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLinuxReleaseMetadata } from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import { json, optralis, type ProcessResult } from '../support/processes';
import { startTestServer, type TestServer, tempDir } from '../support/server';

const VERSION = '1.0.0';

/** Runs a built executable directly, as an operator would. */
function exec(file: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(file, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the linux-amd64 agent executable', () => {
  let build: AgentBuild<'linux-amd64'>;
  let server: TestServer;

  beforeAll(async () => {
    build = await ensureAgentBuild({
      version: VERSION,
      channel: 'stable',
      targets: ['linux-amd64'],
    });
    server = await startTestServer({ env: { OPTRALIS_DOWNLOADS_DIR: build.dir } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Enrolls the executable, as an operator would, into a client of its own. */
  async function enrollBinary(clientName: string, hostname: string) {
    const client = json<{ id: string }>(
      await optralis(['--json', 'client', 'create', clientName], server.env),
    );
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', client.id], server.env),
    );
    const configDir = tempDir('agent-binary');
    const args = ['enroll', '--url', server.publicUrl, '--config-dir', configDir];
    const enrolled = await exec(
      build.files['linux-amd64'],
      [...args, '--hostname', hostname, '--json'],
      { OPTRALIS_TOKEN: token.token },
    );
    return { enrolled, configDir };
  }

  it('prints the version it was built with, its platform and its architecture', async () => {
    const file = build.files['linux-amd64'];
    expect(path.basename(file)).toBe('optralis-agent-linux-amd64-v1.0.0');
    const text = await exec(file, ['version']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('optralis-agent 1.0.0 linux/amd64\n');
    const printed = json(await exec(file, ['version', '--json']));
    expect(printed).toEqual({ version: '1.0.0', platform: 'linux', arch: 'amd64' });
  });

  it('is stripped of its symbol table', () => {
    const result = fs.readFileSync(build.files['linux-amd64']);
    expect(result.includes(Buffer.from('.symtab\0'))).toBe(false);
  });

  it('has metadata-linux.json matching the file, readable by the server', () => {
    const metadataFile = build.metadata.linux as string;
    const bytes = fs.readFileSync(metadataFile);
    expect([...bytes.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const metadata = parseLinuxReleaseMetadata(bytes, metadataFile);
    const file = fs.readFileSync(build.files['linux-amd64']);
    expect(metadata).toMatchObject({ version: VERSION, channel: 'stable', platform: 'linux' });
    expect(metadata.architectures.amd64).toEqual({
      filename: 'optralis-agent-linux-amd64-v1.0.0',
      checksum_sha256: crypto.createHash('sha256').update(file).digest('hex'),
      file_size_bytes: file.length,
    });
    expect(metadata.build_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.now() - Date.parse(metadata.build_time)).toBeGreaterThanOrEqual(-1000);
  });

  it('enrolls with a token and sends a heartbeat over mutual TLS, natively', async () => {
    const file = build.files['linux-amd64'];
    const { enrolled, configDir } = await enrollBinary('Binaries', 'bin-01');
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const answer = json<{ machine_id: string; binary_url: string | null }>(enrolled);
    expect(answer.binary_url).toBe(
      `${server.publicUrl}/downloads/stable/optralis-agent-linux-amd64-v1.0.0`,
    );

    const ran = await exec(file, ['run', '--config-dir', configDir, '--once']);
    expect(ran.code, ran.stderr).toBe(0);

    const machines = json<{ id: string; hostname: string; agent_version: string | null }[]>(
      await optralis(['--json', 'machines', 'list'], server.env),
    );
    const machine = machines.find((item) => item.id === answer.machine_id);
    expect(machine).toMatchObject({ hostname: 'bin-01', agent_version: VERSION });
  });

  it('collects its inventory and samples with systeminformation inside the executable', async () => {
    const file = build.files['linux-amd64'];
    const { enrolled, configDir } = await enrollBinary('Inventory', 'bin-02');
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const machineId = json<{ machine_id: string }>(enrolled).machine_id;
    const configFile = path.join(configDir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    fs.writeFileSync(
      configFile,
      JSON.stringify({ ...config, interval: 1, collectors_interval: 1 }),
    );

    const agent = spawn(file, ['run', '--config-dir', configDir], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
    try {
      let stored: { report: string } | undefined;
      let samples = 0;
      for (let attempt = 0; attempt < 600 && (!stored || samples === 0); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        stored = await server.ctx.db
          .selectFrom('machine_inventory')
          .select('report')
          .where('machine_id', '=', machineId)
          .executeTakeFirst();
        const counted = await server.ctx.db
          .selectFrom('machine_metrics')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('machine_id', '=', machineId)
          .executeTakeFirstOrThrow();
        samples = Number(counted.count);
      }
      const report = JSON.parse(stored?.report ?? '{}');
      // What systeminformation found by running this machine's commands and reading /proc.
      expect(report.os).toMatchObject({ platform: 'linux', arch: 'x64' });
      expect(report.os.kernel).toBe(os.release());
      expect(report.cpu.cores).toBe(os.cpus().length);
      expect(report.memory.total_bytes).toBe(os.totalmem());
      expect(report.filesystems.map((entry: { mount: string }) => entry.mount)).toContain('/');
      expect(samples).toBeGreaterThan(0);
    } finally {
      agent.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
