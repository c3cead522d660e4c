import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../packages/server/src/ca';
import { agentRequest } from '../support/https';
import { cliError, json, optralis } from '../support/processes';
import { startTestServer, type TestServer } from '../support/server';

interface Enrolled {
  cert: string;
  key: string;
  ca: string;
  machineId: string;
}

describe('CA rotation on a running server', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer();
    clientId = json<{ id: string }>(
      await optralis(['--json', 'client', 'create', 'Rotating'], server.env),
    ).id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function enroll(hostname: string): Promise<Enrolled> {
    const token = json<{ token: string }>(
      await optralis(['--json', 'token', 'create', '--client', clientId], server.env),
    ).token;
    const response = await fetch(`${server.publicUrl}/api/public/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname, arch: 'amd64', platform: 'linux' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    return {
      cert: body.certificate ?? '',
      key: body.private_key ?? '',
      ca: body.ca_cert ?? '',
      machineId: body.machine_id ?? '',
    };
  }

  function health(machine: Enrolled) {
    return agentRequest(`${server.agentApiUrl}/health`, machine);
  }

  function issuerOf(pem: string): string {
    return new x509.X509Certificate(pem).issuer;
  }

  /** Enrolls probes until the server shows the change `done` looks for (it polls every 5 s). */
  async function waitForServer(done: (machine: Enrolled) => boolean): Promise<Enrolled> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const machine = await enroll(`probe-${attempt}-${Math.random().toString(36).slice(2, 6)}`);
      if (done(machine)) return machine;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the server never picked up the CA change');
  }

  async function status() {
    return json<{ rotation: string; issuing: { subject: string } }>(
      await optralis(['--json', 'ca', 'status'], server.env),
    );
  }

  it('publishes the new CA, then issues from it, and retires the old one safely', async () => {
    const old = await enroll('before-rotation');
    const oldIssuer = issuerOf(old.cert);
    expect((await health(old)).status).toBe(200);
    expect((await status()).rotation).toBe('none');

    const refusedEarly = await optralis(['--json', 'ca', 'activate'], server.env);
    expect(refusedEarly.code).toBe(1);
    expect(cliError(refusedEarly).code).toBe('rotation_refused');
    expect(cliError(refusedEarly).message).toContain('ca rotate');

    const rotated = await optralis(['--json', 'ca', 'rotate'], server.env);
    expect(rotated.code, rotated.stderr).toBe(0);
    // Step 1 publishes: new machines are given both CAs, but still a certificate of the old one.
    const published = await waitForServer(
      (machine) => x509.PemConverter.decode(machine.ca).length === 2,
    );
    expect(issuerOf(published.cert)).toBe(oldIssuer);
    expect((await status()).rotation).toBe('published');
    const notYet = await optralis(['--json', 'ca', 'retire', '--force'], server.env);
    expect(notYet.code).toBe(1);
    expect(cliError(notYet).code).toBe('rotation_refused');
    expect(cliError(notYet).message).toContain('ca activate');

    const activated = await optralis(['--json', 'ca', 'activate'], server.env);
    expect(activated.code, activated.stderr).toBe(0);
    expect(json<{ machines_to_renew: number }>(activated).machines_to_renew).toBeGreaterThanOrEqual(
      2,
    );
    const fresh = await waitForServer((machine) => issuerOf(machine.cert) !== oldIssuer);
    expect(issuerOf(fresh.cert)).toBe((await status()).issuing.subject);
    expect(x509.PemConverter.decode(fresh.ca)).toHaveLength(2);
    expect((await health(fresh)).status).toBe(200);
    expect((await health(old)).status).toBe(200);

    const refused = await optralis(['--json', 'ca', 'retire'], server.env);
    expect(refused.code).toBe(1);
    // The machines named are the first five; how many probes enrolled before the server saw
    // the change depends on the machine's speed, so only the count is certain.
    expect(cliError(refused).code).toBe('machines_on_previous_ca');
    expect(cliError(refused).message).toMatch(/^\d+ machine\(s\) still use a certificate of the/);
    expect((await health(old)).status).toBe(200);

    const retired = await optralis(['--json', 'ca', 'retire', '--force'], server.env);
    expect(retired.code, retired.stderr).toBe(0);
    expect(json<{ machines_cut_off: number }>(retired).machines_cut_off).toBeGreaterThanOrEqual(1);
    let oldStatus = 200;
    for (let attempt = 0; attempt < 100 && oldStatus === 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      oldStatus = await health(old).then(
        (answer) => answer.status,
        () => 0,
      );
    }
    expect(oldStatus).not.toBe(200);
    expect((await health(fresh)).status).toBe(200);
    expect((await status()).rotation).toBe('none');

    // Each step is in the audit log, with no client: the CA is the whole server's.
    const events = json<{ action: string; client_id: string | null; details: unknown }[]>(
      await optralis(['--json', 'audit', '--limit', '1000'], server.env),
    ).filter((event) => event.action.startsWith('ca.'));
    expect(events.map((event) => event.action).reverse()).toEqual([
      'ca.rotation_published',
      'ca.rotation_activated',
      'ca.rotation_retired',
    ]);
    expect(events.every((event) => event.client_id === null)).toBe(true);
    expect(events[0]?.details).toMatchObject({ forced: true });
  });
});
