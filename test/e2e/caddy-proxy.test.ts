import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EC_P256,
  exportPrivateKeyPem,
  initCa,
  issueMachineCertificate,
  issueServerCertificate,
  loadCa,
  NEXT_DIR,
  PROXY_TRUST_BUNDLE,
  PROXY_TRUST_DIR,
  subtle,
  x509,
} from '../../packages/server/src/ca';
import { REPO_ROOT } from '../support/paths';
import { freePort, waitForPort } from '../support/ports';
import { agentBundle, json, optralis, optralisAgent } from '../support/processes';
import { startTestServer, type TestServer, tempDir } from '../support/server';

const execFileAsync = promisify(execFile);

/** Runs a program to its end; a failure throws with its output. */
async function run(file: string, args: string[], options: { env: Record<string, string> }) {
  await execFileAsync(file, args, { ...options, encoding: 'utf8' });
}

/** The agent service, running until stopped, with a heartbeat every second. */
function startAgent(configDir: string) {
  const file = path.join(configDir, 'config.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), interval: 1 }),
  );
  const child = spawn(process.execPath, [agentBundle(), 'run', '--config-dir', configDir], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
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

interface Identity {
  cert: string;
  key: string;
  ca: string;
  machineId: string;
  configDir: string;
}

/** One request through Caddy's agent site, optionally with a client certificate. */
function throughCaddy(
  url: string,
  tls: { cert?: string; key?: string; ca: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'GET', ...tls, headers, agent: false, servername: 'localhost' },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text || '{}') }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const CADDY_CONFIG = [
  '--config',
  path.join(REPO_ROOT, 'deploy/Caddyfile'),
  '--adapter',
  'caddyfile',
];

describe('behind Caddy with client_auth (deploy/Caddyfile)', () => {
  let server: TestServer;
  let caddy: ChildProcess;
  let caddyEnv: Record<string, string>;
  let caddyLog = '';
  let caddyDir: string;
  let agentSite: string;
  let dashboardSite: string;
  let directAgentUrl: string;

  beforeAll(async () => {
    const agentPort = await freePort();
    const dashboardPort = await freePort();
    agentSite = `https://localhost:${agentPort}`;
    dashboardSite = `http://127.0.0.1:${dashboardPort}`;
    server = await startTestServer({
      env: {
        OPTRALIS_AGENT_TLS: 'proxy',
        // Caddy reaches the server over IPv6 loopback; anything on 127.0.0.1 is "outside".
        OPTRALIS_AGENT_HOST: '::',
        OPTRALIS_TRUSTED_PROXIES: '::1',
        AGENT_API_URL: agentSite,
        OPTRALIS_PUBLIC_URL: dashboardSite,
      },
    });
    const serverAgentPort = (server.agentApp.server.address() as AddressInfo).port;
    // The configured URLs name Caddy; the server's own ports are those it listens on.
    const publicPort = (server.publicApp.server.address() as AddressInfo).port;
    directAgentUrl = `http://127.0.0.1:${serverAgentPort}`;

    const dir = tempDir('caddy');
    const site = await issueServerCertificate(server.ctx.ca, ['localhost'], {
      now: new Date(),
      lifetimeDays: 1,
    });
    fs.writeFileSync(path.join(dir, 'site.crt'), site.certificatePem);
    fs.writeFileSync(path.join(dir, 'site-ca.crt'), server.ctx.ca.certificatePem);
    caddyDir = dir;
    fs.writeFileSync(path.join(dir, 'site.key'), site.keyPem);
    caddyEnv = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_DATA_HOME: path.join(dir, 'data'),
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      // The admin endpoint is what "caddy reload" talks to after a CA rotation step.
      CADDY_ADMIN: `localhost:${await freePort()}`,
      CADDY_HTTP_PORT: String(await freePort()),
      CADDY_HTTPS_PORT: String(agentPort),
      CADDY_GLOBAL_OPTIONS: 'auto_https disable_redirects',
      OPTRALIS_DASHBOARD_SITE: dashboardSite,
      OPTRALIS_PUBLIC_UPSTREAM: `127.0.0.1:${publicPort}`,
      OPTRALIS_AGENT_SITE: agentSite,
      OPTRALIS_AGENT_SITE_CERTIFICATE: `${dir}/site.crt ${dir}/site.key`,
      // The one-file-per-CA copies the server keeps, as the compose file mounts them.
      OPTRALIS_AGENT_CA_DIR: path.join(server.config.caDir, PROXY_TRUST_DIR),
      OPTRALIS_AGENT_UPSTREAM: `[::1]:${serverAgentPort}`,
    };
    caddy = spawn('caddy', ['run', ...CADDY_CONFIG], {
      env: caddyEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    caddy.stderr?.on('data', (chunk: Buffer) => {
      caddyLog += chunk.toString();
    });
    await Promise.all([waitForPort(agentPort), waitForPort(dashboardPort)]).catch((error) => {
      throw new Error(`${error}\n${caddyLog}`);
    });
  });

  afterAll(async () => {
    caddy?.kill('SIGTERM');
    await server?.stop();
  });

  /**
   * Every enrollment comes from this one host, whose hardware id does not change: each gets a
   * client of its own so that the server does not take it for a clone of the previous one.
   */
  async function enrollThroughCaddy(hostname: string): Promise<Identity> {
    const client = await optralis(['--json', 'client', 'create', hostname], server.env);
    const clientId = json<{ id: string }>(client).id;
    const made = await optralis(['--json', 'token', 'create', '--client', clientId], server.env);
    const token = json<{ token: string }>(made).token;
    const configDir = tempDir('agent');
    const enrolled = await optralisAgent(
      [
        'enroll',
        '--url',
        dashboardSite,
        '--config-dir',
        configDir,
        '--hostname',
        hostname,
        '--json',
      ],
      { OPTRALIS_TOKEN: token },
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8'));
    expect(config.api_url).toBe(agentSite);

    const ran = await optralisAgent(['run', '--once', '--config-dir', configDir]);
    expect(ran.code, ran.stderr + caddyLog).toBe(0);
    return {
      cert: fs.readFileSync(path.join(configDir, 'client.crt'), 'utf8'),
      key: fs.readFileSync(path.join(configDir, 'client.key'), 'utf8'),
      ca: fs.readFileSync(path.join(configDir, 'ca.crt'), 'utf8'),
      machineId: json<{ machine_id: string }>(enrolled).machine_id,
      configDir,
    };
  }

  it('enrolls an agent and carries its heartbeats to the server', async () => {
    const machine = await enrollThroughCaddy('proxied-01');
    const listed = json<{ id: string; hostname: string; last_seen: string | null }[]>(
      await optralis(['--json', 'machines', 'list'], server.env),
    );
    const row = listed.find((entry) => entry.id === machine.machineId);
    expect(row?.hostname).toBe('proxied-01');
    expect(row?.last_seen).not.toBeNull();
  });

  it('replaces a forged certificate header with the certificate Caddy verified', async () => {
    const first = await enrollThroughCaddy('proxied-02');
    const second = await enrollThroughCaddy('proxied-03');
    const forged = Buffer.from(second.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString(
      'base64',
    );
    const answer = await throughCaddy(`${agentSite}/health`, first, { 'X-Client-Cert': forged });
    expect(answer.status).toBe(200);
    expect(answer.body.machine_id).toBe(first.machineId);
  });

  it('refuses at the proxy a client without a certificate or with a foreign one', async () => {
    const ca = fs.readFileSync(path.join(server.config.caDir, 'ca.crt'), 'utf8');
    await expect(throughCaddy(`${agentSite}/health`, { ca })).rejects.toThrow();

    const otherDir = tempDir('other-ca');
    await initCa(otherDir);
    const other = await loadCa(otherDir);
    const foreign = await issueServerCertificate(other, ['localhost'], {
      now: new Date(),
      lifetimeDays: 1,
    });
    await expect(
      throughCaddy(`${agentSite}/health`, {
        ca,
        cert: foreign.certificatePem,
        key: foreign.keyPem,
      }),
    ).rejects.toThrow();
  });

  /**
   * The guide's check from an enrolled machine (docs/operations.md, "Checks from the
   * specification"), as written there: only the machine's directory and the domain are this
   * test's, and curl trusts Caddy's site certificate through CURL_CA_BUNDLE, which a public
   * certificate does not need.
   */
  function documentedCurl(configDir: string, options: { withoutCertificate?: boolean } = {}) {
    const guide = fs.readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    const written = /^curl -v --cert .*\\\n\s+https:\S+\/health$/m.exec(guide)?.[0] ?? '';
    expect(written).toContain('--key /etc/optralis-agent/client.key');
    let command = written
      .replace(/\\\n\s+/, '')
      .replaceAll('/etc/optralis-agent/', `${configDir}/`)
      .replace(/https:\/\/[^/\s]+/, agentSite);
    if (options.withoutCertificate) command = command.replace(/ --cert \S+ --key \S+/, '');
    // Asynchronous: the server answering behind Caddy runs in this process.
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const env = {
        PATH: process.env.PATH ?? '',
        CURL_CA_BUNDLE: path.join(caddyDir, 'site-ca.crt'),
      };
      execFile('sh', ['-c', command], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr });
      });
    });
  }

  it("answers the guide's curl check with the machine's own certificate", async () => {
    const machine = await enrollThroughCaddy('proxied-curl');
    const result = await documentedCurl(machine.configDir);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ status: 'ok', machine_id: machine.machineId });
    // -v shows the handshake with Caddy and the answer's status line.
    expect(result.stderr).toMatch(/SSL connection using TLSv1\.3/);
    expect(result.stderr).toMatch(/^< HTTP\/2 200/m);

    // As the guide says: without the certificate Caddy asks for one in the handshake, then
    // drops the connection before any HTTP answer. With TLS 1.3 curl notices that on its first
    // write or read (exit 55 or 56), or in the handshake itself (35).
    const refused = await documentedCurl(machine.configDir, { withoutCertificate: true });
    expect([35, 55, 56]).toContain(refused.status);
    expect(refused.stderr).toMatch(/TLS handshake, Request CERT/);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toMatch(/^< HTTP/m);
  });

  it('ignores the header from anyone but the proxy', async () => {
    const machine = await enrollThroughCaddy('proxied-04');
    const der = machine.cert.replace(/-----[^-]+-----|\s/g, '');
    const direct = await fetch(`${directAgentUrl}/health`, { headers: { 'X-Client-Cert': der } });
    expect(direct.status).toBe(401);
    expect(((await direct.json()) as { error: { code: string } }).error.code).toBe(
      'client_certificate_required',
    );
  });

  /** What the operator runs after each CA step: Caddy reads the CA files when it loads. */
  async function reloadCaddy(): Promise<void> {
    await run('caddy', ['reload', ...CADDY_CONFIG], { env: caddyEnv });
  }

  /**
   * How many CAs the spec's check (`cat /etc/caddy/optralis-agent-ca.crt`, a link into the
   * mounted trusted/ directory) shows; it must be the bundle agents receive.
   */
  function casShownToCaddy(caDir: string): number {
    const pem = fs.readFileSync(path.join(caDir, PROXY_TRUST_DIR, PROXY_TRUST_BUNDLE), 'utf8');
    expect(pem).toBe(fs.readFileSync(path.join(caDir, 'ca-bundle.crt'), 'utf8'));
    return x509.PemConverter.decode(pem).length;
  }

  /** A client certificate from the CA in `caDir`, for a machine the server does not know. */
  async function strangerFrom(caDir: string) {
    const ca = await loadCa(caDir);
    const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
    const publicKey = new x509.PublicKey(await subtle.exportKey('spki', keys.publicKey));
    const issued = await issueMachineCertificate(
      ca,
      publicKey,
      { clientId: 'stranger', machineId: 'stranger' },
      { now: new Date(), lifetimeDays: 1 },
    );
    return { cert: issued.pem, key: await exportPrivateKeyPem(keys.privateKey) };
  }

  it('goes through a CA rotation: both CAs accepted, the agent renews, the old CA refused', async () => {
    const caDir = server.config.caDir;
    // Caddy's own site certificate comes from the first CA; requests here trust it for that.
    const siteCa = fs.readFileSync(path.join(caDir, 'ca.crt'), 'utf8');
    const oldAgent = await enrollThroughCaddy('proxied-rotation-old');
    const renewing = await enrollThroughCaddy('proxied-rotation');
    const oldIssuer = new x509.X509Certificate(renewing.cert).issuer;
    expect(casShownToCaddy(caDir)).toBe(1);

    const rotated = await optralis(['--json', 'ca', 'rotate'], server.env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(casShownToCaddy(caDir)).toBe(2);
    const stranger = await strangerFrom(path.join(caDir, NEXT_DIR));
    const probe = () => throughCaddy(`${agentSite}/health`, { ...stranger, ca: siteCa });
    // Until it reloads, Caddy knows only the first CA.
    await expect(probe()).rejects.toThrow();

    await reloadCaddy();
    // The new CA now passes Caddy; the server, once it has seen the rotation, answers itself.
    const answered = await eventually(async () => {
      const answer = await probe().catch(() => undefined);
      return answer?.body.error ? answer : undefined;
    }, 'Caddy to accept a certificate of the next CA');
    expect(answered.status).toBe(401);
    expect((await throughCaddy(`${agentSite}/health`, { ...oldAgent, ca: siteCa })).status).toBe(
      200,
    );

    const activated = await optralis(['--json', 'ca', 'activate'], server.env);
    expect(activated.code, activated.stderr).toBe(0);
    expect(casShownToCaddy(caDir)).toBe(2);
    const newIssuer = (await loadCa(caDir)).certificate.subject;
    const agent = startAgent(renewing.configDir);
    const renewed = await eventually(async () => {
      const pem = fs.readFileSync(path.join(renewing.configDir, 'client.crt'), 'utf8');
      return new x509.X509Certificate(pem).issuer === newIssuer ? pem : undefined;
    }, 'the agent to renew onto the new CA through Caddy').finally(() => agent.stop());
    expect(newIssuer).not.toBe(oldIssuer);
    const key = fs.readFileSync(path.join(renewing.configDir, 'client.key'), 'utf8');

    const retired = await optralis(['--json', 'ca', 'retire', '--force'], server.env);
    expect(retired.code, retired.stderr).toBe(0);
    expect(casShownToCaddy(caDir)).toBe(1);
    await reloadCaddy();
    const after = await throughCaddy(`${agentSite}/health`, { cert: renewed, key, ca: siteCa });
    expect(after.status).toBe(200);
    expect(after.body.machine_id).toBe(renewing.machineId);
    await expect(
      throughCaddy(`${agentSite}/health`, { ...oldAgent, ca: siteCa }),
    ).rejects.toThrow();
  });
});
