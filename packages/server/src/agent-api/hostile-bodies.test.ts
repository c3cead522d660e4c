import tls from 'node:tls';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { enrollTestMachine, newClient, type TestMachine } from '../../../../test/support/machines';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { MAX_COMPRESSED_BYTES, MAX_INFLATED_BYTES } from './body';
import { heartbeatBuffer } from './heartbeat-buffer';

const heartbeat = { version: '1.0.0', platform: 'linux', arch: 'amd64' };
const sample = { at: new Date().toISOString(), cpu_percent: 3, disks: [], network: [] };

describe('the agent API against hostile bodies', () => {
  let server: TestServer;
  let machine: TestMachine;

  beforeAll(async () => {
    server = await startTestServer();
    machine = await enrollTestMachine(server, await newClient(server), 'hostile-01');
  });

  afterAll(async () => {
    await server?.stop();
  });

  function post(path: string, body: Buffer, headers: Record<string, string> = {}) {
    return agentRequest(`${server.agentApiUrl}${path}`, machine, {
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  async function expectHealthy() {
    const health = await agentRequest(`${server.agentApiUrl}/health`, machine);
    expect(health).toMatchObject({ status: 200, body: { machine_id: machine.machineId } });
  }

  it('refuses a gzip bomb with 413 once inflation passes the limit', async () => {
    // 64 MB of zeros compress to about 64 KB: small on the wire, far past the inflation limit.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(MAX_COMPRESSED_BYTES);
    for (const path of ['/heartbeat', '/inventory', '/collectors', '/renew']) {
      const answer = await post(path, bomb, { 'content-encoding': 'gzip' });
      expect(answer.status, path).toBe(413);
      expect(answer.body.error?.code).toBe('payload_too_large');
    }
    await expectHealthy();
  });

  it('takes a body a proxy already inflated but still labelled gzip', async () => {
    const answer = await post('/heartbeat', Buffer.from(JSON.stringify(heartbeat)), {
      'content-encoding': 'gzip',
    });
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('takes gzip without the header too: the magic bytes decide', async () => {
    const answer = await post('/heartbeat', gzipSync(JSON.stringify(heartbeat)));
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('refuses truncated or corrupt gzip with 400 invalid_body', async () => {
    const whole = gzipSync(JSON.stringify({ ...heartbeat, update_error: 'x'.repeat(300) }));
    const damaged = Buffer.from(whole);
    damaged[20] = (damaged[20] ?? 0) ^ 0xff;
    for (const body of [whole.subarray(0, whole.length - 9), whole.subarray(0, 12), damaged]) {
      const answer = await post('/heartbeat', body, { 'content-encoding': 'gzip' });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('invalid_body');
    }
    await expectHealthy();
  });

  it('refuses encodings other than gzip and identity with 415', async () => {
    for (const encoding of ['br', 'deflate', 'compress', 'zstd', 'gzip, br', 'gzip, gzip']) {
      const answer = await post('/heartbeat', gzipSync(JSON.stringify(heartbeat)), {
        'content-encoding': encoding,
      });
      expect(answer.status, encoding).toBe(415);
      expect(answer.body.error?.code).toBe('unsupported_media_type');
    }
  });

  it('refuses a body that is not JSON by its type with 415', async () => {
    const answer = await post('/heartbeat', Buffer.from(JSON.stringify(heartbeat)), {
      'content-type': 'text/plain',
    });
    expect(answer.status).toBe(415);
    expect(answer.body.error?.code).toBe('unsupported_media_type');
  });

  it('refuses oversized JSON with 413, plain or inflated', async () => {
    const padding = 'a'.repeat(MAX_COMPRESSED_BYTES + 1);
    const plain = Buffer.from(JSON.stringify({ ...heartbeat, padding }));
    expect((await post('/heartbeat', plain)).status).toBe(413);
    const inflated = gzipSync(
      JSON.stringify({ ...heartbeat, padding: 'b'.repeat(MAX_INFLATED_BYTES) }),
    );
    const answer = await post('/heartbeat', inflated, { 'content-encoding': 'gzip' });
    expect(answer.status).toBe(413);
    expect(answer.body.error?.code).toBe('payload_too_large');
    await expectHealthy();
  });

  it('refuses broken JSON and wrong types with 400, naming the field', async () => {
    const broken = await post('/heartbeat', Buffer.from('{"version": "1.0.0",'));
    expect(broken.body.error?.code).toBe('invalid_body');
    const cases: [string, unknown, string][] = [
      ['/heartbeat', { ...heartbeat, version: 7 }, 'version'],
      [
        '/heartbeat',
        { ...heartbeat, memory: { total_bytes: -1, used_bytes: 0 } },
        'memory.total_bytes',
      ],
      ['/heartbeat', { ...heartbeat, temperature_c: '45' }, 'temperature_c'],
      ['/heartbeat', { ...heartbeat, temperature_c: 1e300 }, 'temperature_c'],
      [
        '/collectors',
        { samples: [{ ...sample, temperatures: [{ sensor: 'cpu', celsius: 'hot' }] }] },
        'samples.0.temperatures.0.celsius',
      ],
      ['/heartbeat', { ...heartbeat, cpu_percent: '12' }, 'cpu_percent'],
      ['/heartbeat', { ...heartbeat, platform: 'macos' }, 'platform'],
      ['/heartbeat', [heartbeat], ''],
      ['/heartbeat', 'heartbeat', ''],
      ['/collectors', { samples: [] }, 'samples'],
      [
        '/collectors',
        { samples: [{ at: 'yesterday', cpu_percent: 1, disks: [], network: [] }] },
        'samples.0.at',
      ],
      ['/inventory', { hostname: 'x' }, 'collected_at'],
      ['/renew', { csr: 'not a pem' }, 'csr'],
    ];
    for (const [path, body, field] of cases) {
      const answer = await post(path, Buffer.from(JSON.stringify(body)));
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(['validation_failed', 'invalid_csr']).toContain(answer.body.error?.code);
      if (field) expect(answer.body.error?.field).toBe(field);
    }
    await expectHealthy();
  });

  it('keeps a heartbeat with an impossible temperature, stored as unavailable', async () => {
    async function send(temperature_c: number) {
      const body = Buffer.from(JSON.stringify({ ...heartbeat, temperature_c }));
      const answer = await post('/heartbeat', body);
      await heartbeatBuffer(server.ctx).flush();
      const row = await server.ctx.db
        .selectFrom('machines')
        .select('temperature_c')
        .where('id', '=', machine.machineId)
        .executeTakeFirstOrThrow();
      return { status: answer.status, stored: row.temperature_c };
    }
    // Readings an older agent may send as they came: 0 K, tenths of kelvin, millidegrees, 0 °C,
    // and the specification's -1; each after a good one, so that a null is this heartbeat's doing.
    for (const reading of [-273.15, 3132, 45_000, 0, -1]) {
      expect(await send(47.5)).toEqual({ status: 200, stored: 47.5 });
      expect(await send(reading), String(reading)).toEqual({ status: 200, stored: null });
    }
  });

  it('keeps samples with impossible temperatures, dropping only those readings', async () => {
    const at = new Date().toISOString();
    const samples = [
      {
        ...sample,
        at,
        temperature_c: 3132,
        temperatures: [
          { sensor: 'cpu', celsius: 52 },
          { sensor: 'acpitz', celsius: -273.15 },
          { sensor: 'nvme', celsius: 45_000 },
        ],
      },
    ];
    const answer = await post('/collectors', Buffer.from(JSON.stringify({ samples })));
    expect(answer, JSON.stringify(answer.body)).toMatchObject({ status: 200, body: { stored: 1 } });
    const row = await server.ctx.db
      .selectFrom('machine_metrics')
      .select(['temperature_c', 'sample'])
      .where('machine_id', '=', machine.machineId)
      .where('at', '=', at)
      .executeTakeFirstOrThrow();
    expect(row.temperature_c).toBeNull();
    expect(JSON.parse(row.sample)).toMatchObject({
      temperature_c: -1,
      temperatures: [{ sensor: 'cpu', celsius: 52 }],
    });
  });

  it('refuses JSON nested two million levels deep with 400, and stays up', async () => {
    const depth = 2_000_000;
    const arrays = gzipSync(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const inField = gzipSync(
      `{"version":${'['.repeat(depth - 10)}${']'.repeat(depth - 10)},"platform":"linux"}`,
    );
    for (const body of [arrays, inField]) {
      const answer = await post('/heartbeat', body, { 'content-encoding': 'gzip' });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('validation_failed');
    }
    await expectHealthy();
  });

  it('refuses a caller without a certificate before reading the body', async () => {
    // Headers announce 512 MB and only a few bytes follow: the refusal comes anyway, because
    // identity is settled on the headers alone.
    const url = new URL(server.agentApiUrl);
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: machine.ca,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    let received = '';
    const answered = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('\r\n\r\n') && received.includes('}')) resolve();
      });
    });
    socket.write(
      [
        'POST /heartbeat HTTP/1.1',
        `Host: ${url.host}`,
        'Content-Type: application/json',
        'Content-Encoding: gzip',
        `Content-Length: ${512 * 1024 * 1024}`,
        '',
        '\u001f\u008b',
      ].join('\r\n'),
    );
    await answered;
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(received).toContain('client_certificate_required');
    await expectHealthy();
  });
});
