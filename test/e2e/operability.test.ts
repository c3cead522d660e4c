import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../packages/server/src/logger';
import { agentRequest, type ClientTls } from '../support/https';
import { admin, createThrowawayDatabase } from '../support/postgres';
import { json, optralis } from '../support/processes';
import { startTestServer, type TestServer } from '../support/server';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function tokenFor(s: TestServer): Promise<string> {
  const client = json<{ id: string }>(await optralis(['--json', 'client', 'create', 'Ops'], s.env));
  const made = await optralis(
    ['--json', 'token', 'create', '--client', client.id, '--max-usage', '0'],
    s.env,
  );
  return json<{ token: string }>(made).token;
}

async function enrollWithoutCsr(s: TestServer, token: string, hostname: string) {
  const response = await fetch(`${s.publicUrl}/api/public/bootstrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname, arch: 'amd64', platform: 'linux' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

interface LogLine {
  msg: string;
  reqId?: string;
  listener?: string;
  res?: { statusCode: number };
}

/** A JSON logger at `level` whose lines are parsed into `lines` as they are written. */
function jsonLog(level: string) {
  const lines: LogLine[] = [];
  const stream = new PassThrough();
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.map((part) => JSON.parse(part) as LogLine));
  });
  return { lines, log: createLogger({ level, format: 'json', destination: stream }) };
}

/** The value of one sample of the Prometheus text format, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

type Readiness = { status: string; checks: { name: string; ok: boolean; detail?: string }[] };

/** `/readyz` answers 503 with every check listed, only `failing` failed and saying why. */
async function expectNotReadyFor(s: TestServer, failing: string, detail: string) {
  const ready = await fetch(`${s.publicUrl}/readyz`);
  expect(ready.status).toBe(503);
  const expected = ['database', 'ca', 'downloads'].map((name) =>
    name === failing ? { name, ok: false, detail } : { name, ok: true },
  );
  expect((await ready.json()) as Readiness).toEqual({ status: 'not_ready', checks: expected });
}

describe('health and readiness', () => {
  it('is healthy and ready with a working store, CA and downloads directory', async () => {
    server = await startTestServer();
    const health = await fetch(`${server.publicUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const ready = await fetch(`${server.publicUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'ca', ok: true },
        { name: 'downloads', ok: true },
      ],
    });
  });

  it('is not ready, and says why, when the downloads directory is gone', async () => {
    server = await startTestServer();
    fs.rmSync(server.config.downloadsDir, { recursive: true, force: true });
    await expectNotReadyFor(server, 'downloads', 'the downloads directory is not readable');
  });
  it('names the database when the SQLite store is closed under the server', async () => {
    server = await startTestServer();
    await server.ctx.db.destroy();
    await expectNotReadyFor(server, 'database', 'the database does not answer');
  });

  it('names the database when its PostgreSQL database is dropped under the server', async () => {
    const database = await createThrowawayDatabase();
    const started = await startTestServer({ env: { DATABASE_URL: database.url } });
    server = {
      ...started,
      async stop() {
        await started.stop();
        await database.drop();
      },
    };
    expect((await fetch(`${started.publicUrl}/readyz`)).status).toBe(200);
    // FORCE ends the server's open connections too: the pool has to open new ones, and cannot.
    await admin(`DROP DATABASE ${database.name} WITH (FORCE)`);
    await expectNotReadyFor(started, 'database', 'the database does not answer');
  });

  it('names the CA when its certificate has expired or is not valid yet, and recovers', async () => {
    let now: number | undefined;
    server = await startTestServer({ clock: () => new Date(now ?? Date.now()) });
    const { notBefore, notAfter } = server.ctx.ca.certificate;

    now = notAfter.getTime() + 1000;
    await expectNotReadyFor(server, 'ca', 'the CA certificate is not valid now');
    // A host clock set back before the CA was made: machine certificates would not verify.
    now = notBefore.getTime() - 1000;
    await expectNotReadyFor(server, 'ca', 'the CA certificate is not valid now');

    now = undefined;
    expect((await fetch(`${server.publicUrl}/readyz`)).status).toBe(200);
  });
});

describe('request ids', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it('are answered in X-Request-Id, match the log lines and the error body', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
    const log = createLogger({ level: 'info', format: 'json', destination: stream });
    server = await startTestServer({ log });

    const health = await fetch(`${server.publicUrl}/healthz`);
    expect(health.headers.get('x-request-id')).toMatch(UUID);

    const refused = await fetch(`${server.publicUrl}/api/machines`);
    expect(refused.status).toBe(401);
    const id = refused.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(((await refused.json()) as { requestId: string }).requestId).toBe(id);
    const logged = lines.filter((line) => line.includes('request refused'));
    expect(logged.map((line) => (JSON.parse(line) as { reqId: string }).reqId)).toContain(id);
  });

  it('are on every line written while serving a request, success, refusal or fault', async () => {
    const { lines, log } = jsonLog('trace');
    server = await startTestServer({ log });
    const s = server;
    const token = await tokenFor(s);
    const afterStart = lines.length;

    const ids: Record<string, string> = {};
    const answered = (name: string, response: { headers: Headers }) => {
      ids[name] = response.headers.get('x-request-id') ?? '';
      expect(ids[name], name).toMatch(UUID);
    };
    const login = await fetch(`${s.publicUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password: 'correct-horse-battery' }),
    });
    expect(login.status).toBe(200);
    answered('login', login);
    const jwt = ((await login.json()) as { token: string }).token;
    const unsigned = await fetch(`${s.publicUrl}/api/machines`);
    expect(unsigned.status).toBe(401);
    answered('unsigned', unsigned);
    const bootstrap = (body: object) =>
      fetch(`${s.publicUrl}/api/public/bootstrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const wrongToken = await bootstrap({ token: 'opt_not-a-real-token', hostname: 'ids-01' });
    expect(wrongToken.status).toBe(403);
    answered('wrongToken', wrongToken);
    const enrolled = await bootstrap({ token, hostname: 'ids-01', arch: 'amd64' });
    expect(enrolled.status).toBe(200);
    answered('enrolled', enrolled);
    const identity = (await enrolled.json()) as Record<string, string>;
    // On the agent listener, with the id a proxy in front would pass on.
    ids.heartbeat = 'edge-heartbeat-1';
    const beat = await agentRequest(
      `${s.agentApiUrl}/heartbeat`,
      { cert: identity.certificate, key: identity.private_key, ca: identity.ca_cert } as ClientTls,
      {
        body: { version: '1.0.0', platform: 'linux', arch: 'amd64' },
        headers: { 'x-request-id': ids.heartbeat },
      },
    );
    expect(beat.status).toBe(200);
    // The store goes away: the next read is a fault of the server.
    await s.ctx.db.destroy();
    const fault = await fetch(`${s.publicUrl}/api/machines`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(fault.status).toBe(500);
    answered('fault', fault);

    // The completion line follows the answer; wait until the last request has written it.
    const completed = (id: string | undefined) =>
      lines.some((line) => line.reqId === id && line.msg === 'request completed');
    while (!completed(ids.fault)) await new Promise((resolve) => setTimeout(resolve, 10));

    const served = lines.slice(afterStart);
    const known = new Set(Object.values(ids));
    expect(served.filter((line) => !known.has(line.reqId ?? '')).map((line) => line.msg)).toEqual(
      [],
    );
    const messagesOf = (name: string) =>
      served.filter((line) => line.reqId === ids[name]).map((line) => line.msg);
    for (const name of Object.keys(ids)) {
      expect(messagesOf(name), name).toEqual(
        expect.arrayContaining(['incoming request', 'request completed']),
      );
    }
    expect(messagesOf('unsigned')).toContain('request refused');
    expect(messagesOf('wrongToken')).toEqual(
      expect.arrayContaining(['bootstrap refused', 'request refused']),
    );
    expect(messagesOf('enrolled')).toContain('machine enrolled');
    expect(messagesOf('fault')).toContain('request failed');
  });

  it('log the agent listener’s answered requests at debug, its refusals at info', async () => {
    const { lines, log } = jsonLog('info');
    server = await startTestServer({ log });
    const s = server;
    const enrolled = await enrollWithoutCsr(s, await tokenFor(s), 'quiet-01');
    const tls = {
      cert: enrolled.body.certificate,
      key: enrolled.body.private_key,
      ca: enrolled.body.ca_cert,
    } as ClientTls;
    for (let i = 0; i < 3; i += 1) {
      const beat = await agentRequest(`${s.agentApiUrl}/heartbeat`, tls, {
        body: { version: '1.0.0', platform: 'linux', arch: 'amd64' },
        headers: { 'x-request-id': `quiet-beat-${i}` },
      });
      expect(beat.status).toBe(200);
    }
    const refused = await agentRequest(
      `${s.agentApiUrl}/health`,
      { ca: tls.ca },
      { headers: { 'x-request-id': 'quiet-refused' } },
    );
    expect(refused.status).toBe(401);
    const completed = () => lines.find((line) => line.reqId === 'quiet-refused' && line.res);
    while (!completed()) await new Promise((resolve) => setTimeout(resolve, 10));

    expect(lines.filter((line) => line.reqId?.startsWith('quiet-beat-'))).toEqual([]);
    expect(completed()).toMatchObject({
      msg: 'request completed',
      listener: 'agent',
      res: { statusCode: 401 },
    });
  });

  it('keep a sane id a proxy sends, and replace one that is too long or odd', async () => {
    server = await startTestServer();
    const asked = async (given: string) => {
      const response = await fetch(`${server?.publicUrl}/api/machines`, {
        headers: { 'x-request-id': given },
      });
      const body = (await response.json()) as { requestId: string };
      expect(body.requestId).toBe(response.headers.get('x-request-id'));
      return body.requestId;
    };
    expect(await asked('edge-7f3a.42:1')).toBe('edge-7f3a.42:1');
    expect(await asked('x'.repeat(129))).toMatch(UUID);
    expect(await asked('two words')).toMatch(UUID);
    expect(await asked('{"injected":true}')).toMatch(UUID);

    const ca = server.ctx.caTrust.bundlePem;
    const agent = await agentRequest(
      `${server.agentApiUrl}/health`,
      { ca },
      {
        headers: { 'x-request-id': 'edge-agent-1' },
      },
    );
    expect(agent.status).toBe(401);
    expect(agent.body.requestId).toBe('edge-agent-1');
  });
});

describe('Prometheus metrics', () => {
  it('are off by default', async () => {
    server = await startTestServer();
    const response = await fetch(`${server.publicUrl}/metrics`);
    expect(response.status).toBe(404);
  });

  it('need the bearer token and count enrollments, refusals, heartbeats and handshakes', async () => {
    server = await startTestServer({ env: { OPTRALIS_METRICS_TOKEN: METRICS_TOKEN } });
    const s = server;
    const scrape = async () => {
      const response = await fetch(`${s.publicUrl}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(response.status).toBe(200);
      return response.text();
    };
    expect((await fetch(`${s.publicUrl}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${s.publicUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN.replace('0', '1')}` },
    });
    expect(wrong.status).toBe(401);

    const before = await scrape();
    expect(sample(before, 'optralis_active_machines')).toBe(0);

    const token = await tokenFor(s);
    const refused = await enrollWithoutCsr(s, 'opt_not-a-real-token', 'nobody');
    expect(refused.status).toBe(403);
    const enrolled = await enrollWithoutCsr(s, token, 'metrics-01');
    expect(enrolled.status).toBe(200);
    const tls = {
      cert: enrolled.body.certificate,
      key: enrolled.body.private_key,
      ca: enrolled.body.ca_cert,
    } as { cert: string; key: string; ca: string };
    for (let i = 0; i < 3; i++) {
      const beat = await agentRequest(`${s.agentApiUrl}/heartbeat`, tls, {
        method: 'POST',
        body: { version: '1.0.0', platform: 'linux', arch: 'amd64' },
        gzip: true,
      });
      expect(beat.status).toBe(200);
    }

    const after = await scrape();
    expect(sample(after, 'optralis_enrollments_total', '{outcome="enrolled",reason=""}')).toBe(1);
    expect(
      sample(after, 'optralis_enrollments_total', '{outcome="refused",reason="token_invalid"}'),
    ).toBe(1);
    expect(sample(after, 'optralis_token_refusals_total', '{reason="token_invalid"}')).toBe(1);
    expect(sample(after, 'optralis_heartbeats_total', '{outcome="ok"}')).toBe(3);
    expect(sample(after, 'optralis_active_machines')).toBe(1);
    const handshakes =
      sample(after, 'optralis_agent_tls_handshakes_total', '{resumed="false"}') +
      sample(after, 'optralis_agent_tls_handshakes_total', '{resumed="true"}');
    expect(handshakes).toBe(3);
    expect(after).toMatch(
      /optralis_http_request_duration_seconds_count\{listener="public",method="POST",route="\/api\/public\/bootstrap",status="200"\} 1/,
    );
  });

  it('tell when the CA certificate expires, and describe the process', async () => {
    server = await startTestServer({ env: { OPTRALIS_METRICS_PORT: '0' } });
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    const notAfter = server.ctx.ca.certificate.notAfter.getTime() / 1000;
    expect(sample(text, 'optralis_ca_certificate_expiry_timestamp_seconds')).toBe(
      Math.floor(notAfter),
    );
    expect(notAfter).toBeGreaterThan(Date.now() / 1000);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('can have a listener of their own instead of the public one', async () => {
    server = await startTestServer({ env: { OPTRALIS_METRICS_PORT: '0' } });
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.publicUrl}/metrics`)).status).toBe(404);
    const response = await fetch(`${server.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('optralis_active_machines 0');
  });
});
