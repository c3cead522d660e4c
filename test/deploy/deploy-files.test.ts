import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ignore from '@balena/dockerignore';
import { describe, expect, it } from 'vitest';
import {
  activateCa,
  CA_BUNDLE_FILE,
  initCa,
  PROXY_TRUST_DIR,
  PROXY_TRUST_FILES,
  retireCa,
  rotateCa,
  x509,
} from '../../packages/server/src/ca';
import { SHUTDOWN_GRACE_MS } from '../../packages/server/src/cli/serve';
import { REPO_ROOT } from '../support/paths';
import { tempDir } from '../support/server';

const DEPLOY = path.join(REPO_ROOT, 'deploy');

const ENV = {
  POSTGRES_PASSWORD: 'a-long-database-password',
  OPTRALIS_DASHBOARD_DOMAIN: 'optralis-api.example.com',
  OPTRALIS_AGENT_DOMAIN: 'optralis-agent-api.example.com',
  OPTRALIS_JWT_SECRET: 'x'.repeat(40),
  OPTRALIS_ACME_EMAIL: 'it@example.com',
};

/**
 * No Docker engine runs here, so the containers are not started: the compose file is validated
 * by docker-compose itself, and the image recipe is checked against the build output.
 */
function compose(env: Record<string, string>, args: string[]) {
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: DEPLOY,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
  });
}

describe('deployment files', () => {
  it('docker-compose.yml validates, with the spec container names and the CA for Caddy', () => {
    const result = compose(ENV, ['config']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('container_name: optralis-api');
    expect(result.stdout).toContain('container_name: optralis-caddy');
    // The directory of one-file-per-CA copies, never the bundle file alone: the server replaces
    // files by rename, and a file bound on its own keeps showing Caddy the old one.
    expect(result.stdout).toContain('/etc/optralis/ca/trusted:/etc/caddy/optralis-agent-ca:ro');
    expect(result.stdout).not.toContain('ca-bundle.crt');
    expect(result.stdout).toMatch(/image: caddy:2\.\d+/);
    expect(result.stdout).toContain('OPTRALIS_TRUSTED_PROXIES: 172.30.0.0/24');
    expect(result.stdout).toContain('subnet: 172.30.0.0/24');
  });

  it('gives the server longer to stop than its own shutdown grace', () => {
    const result = compose(ENV, ['config']);
    expect(result.status, result.stderr).toBe(0);
    const graces = [...result.stdout.matchAll(/stop_grace_period: (\d+)s/g)].map((m) =>
      Number(m[1]),
    );
    // server and server-2: docker-compose 1.29 lists every service, whatever the profile.
    expect(graces).toHaveLength(2);
    for (const seconds of graces) expect(seconds * 1000).toBeGreaterThan(SHUTDOWN_GRACE_MS);
  });

  it('runs a second replica with the replica profile, Caddy sending to both', () => {
    const upstreams = {
      COMPOSE_PROFILES: 'replica',
      OPTRALIS_PUBLIC_UPSTREAMS: 'server:8080 server-2:8080',
      OPTRALIS_AGENT_UPSTREAMS: 'server:8443 server-2:8443',
    };
    const result = compose({ ...ENV, ...upstreams }, ['config']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('container_name: optralis-api-2');
    expect(result.stdout).toContain('OPTRALIS_AGENT_UPSTREAM: server:8443 server-2:8443');
    // Both replicas run the one image, against the same CA directory.
    expect(result.stdout.match(/image: optralis-server:local/g)).toHaveLength(2);
    expect(result.stdout.match(/\/etc\/optralis\/ca:\/etc\/optralis\/ca:rw/g)).toHaveLength(2);
  });

  it('the Caddyfile names each CA file the server writes for the proxy', () => {
    const caddyfile = fs.readFileSync(path.join(DEPLOY, 'Caddyfile'), 'utf8');
    const named = [...caddyfile.matchAll(/^\s*trusted_ca_cert_file \S+\/([^/\s]+)$/gm)].map(
      (match) => match[1],
    );
    expect(named).toEqual([...PROXY_TRUST_FILES]);
  });

  it("shows Caddy the spec's /etc/caddy/optralis-agent-ca.crt, through every CA rotation step", async () => {
    // The caddy service's start command, run as Docker would, with /etc/caddy in a temporary
    // directory where the CA's trusted/ directory is mounted, and a caddy that only exits.
    const source = fs.readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8');
    const folded = /command:\n\s+- \/bin\/sh\n\s+- -c\n\s+- >-\n((?:\s{8}\S.*\n)+)/.exec(source);
    const command = (folded?.[1] ?? '')
      .trim()
      .split(/\s*\n\s*/)
      .join(' ');
    expect(command).toMatch(/ln -sfn .* && exec caddy run --config \/etc\/caddy\/Caddyfile/);

    const caDir = tempDir('ca');
    await initCa(caDir);
    const etcCaddy = tempDir('etc-caddy');
    fs.symlinkSync(path.join(caDir, PROXY_TRUST_DIR), path.join(etcCaddy, 'optralis-agent-ca'));
    const bin = tempDir('bin');
    fs.writeFileSync(path.join(bin, 'caddy'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const started = spawnSync('/bin/sh', ['-c', command.replaceAll('/etc/caddy', etcCaddy)], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
    expect(started.status, started.stderr).toBe(0);

    const seen = path.join(etcCaddy, 'optralis-agent-ca.crt');
    const subjects = () => {
      const pem = fs.readFileSync(seen, 'utf8');
      expect(pem).toBe(fs.readFileSync(path.join(caDir, CA_BUNDLE_FILE), 'utf8'));
      return x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der).subject);
    };
    const [first] = subjects();
    expect(first).toMatch(/^CN=Optralis Agent CA /);

    // Each step replaces the file by rename; the link, unlike a file mount, shows the new one.
    await rotateCa(caDir, new Date());
    const published = subjects();
    expect(published).toHaveLength(2);
    expect(published[0]).toBe(first);
    const second = published[1];
    activateCa(caDir);
    expect(subjects()).toEqual([second, first]);
    retireCa(caDir, new Date());
    expect(subjects()).toEqual([second]);
  });

  it('refuses to start without its secrets, naming the missing one', () => {
    const { POSTGRES_PASSWORD: _omitted, ...rest } = ENV;
    const result = compose(rest, ['config', '-q']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('POSTGRES_PASSWORD');
  });

  it('keeps every .env out of the build context, as Docker reads .dockerignore', () => {
    const rules = ignore().add(fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
    for (const secret of ['.env', 'deploy/.env', 'packages/server/.env', 'deploy/.env.local']) {
      expect(rules.ignores(secret), secret).toBe(true);
    }
    for (const kept of [
      'deploy/.env.example',
      'package.json',
      'package-lock.json',
      'packages/server/src/server.ts',
      'packages/dashboard/index.html',
    ]) {
      expect(rules.ignores(kept), kept).toBe(false);
    }
  });

  it('the image copies only what the build produces, and the context leaves bulk out', () => {
    const dockerfile = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map(
      (match) => match[1] ?? '',
    );
    expect(copied).toContain('packages/server/dist');
    expect(copied).toContain('packages/dashboard/dist');
    expect(dockerfile).toContain('OPTRALIS_DASHBOARD_DIR=/app/packages/dashboard/dist');
    for (const source of copied) {
      expect(fs.existsSync(path.join(REPO_ROOT, source)), source).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER optralis$/m);
    const ignored = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', 'data', 'deploy/downloads']) {
      expect(ignored).toContain(entry);
    }
  });
});
