import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optralisAgent } from '../../../test/support/processes';
import { tempDir } from '../../../test/support/server';
import { initCa, issueServerCertificate, loadCa } from '../../server/src/ca';

function configDir(config: Record<string, unknown>): string {
  const dir = tempDir('agent-config');
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('starting the agent service', () => {
  it('refuses to run without mtls_enabled, even with certificate paths', async () => {
    const dir = configDir({
      api_url: 'https://127.0.0.1:8443',
      mtls_cert_path: '/etc/optralis-agent/client.crt',
      mtls_key_path: '/etc/optralis-agent/client.key',
    });
    const ran = await optralisAgent(['run', '--config-dir', dir, '--once']);
    expect(ran.code).toBe(78);
    expect(ran.stderr).toContain('mtls_enabled is not true in config.json');
  });

  it('names the certificate it cannot read', async () => {
    const dir = tempDir('agent-config');
    const cert = path.join(dir, 'client.crt');
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        api_url: 'https://127.0.0.1:8443',
        mtls_enabled: true,
        mtls_cert_path: cert,
        mtls_key_path: path.join(dir, 'client.key'),
      }),
    );
    const missing = await optralisAgent(['run', '--config-dir', dir, '--once']);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain(`cannot read the client certificate ${cert} (ENOENT)`);

    fs.writeFileSync(cert, 'not a certificate');
    const garbage = await optralisAgent(['run', '--config-dir', dir, '--once']);
    expect(garbage.code).toBe(78);
    expect(garbage.stderr).toContain(`the client certificate ${cert} is not a PEM file`);
    fs.writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    fs.writeFileSync(
      path.join(dir, 'client.key'),
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    );
    const broken = await optralisAgent(['run', '--config-dir', dir, '--once']);
    expect(broken.code).toBe(78);
    expect(broken.stderr).toContain(`the client certificate ${cert} is not a valid certificate`);
    // The same line is in the service's log file.
    const log = fs.readFileSync(path.join(dir, 'logs', 'agent.log'), 'utf8');
    expect(log).toContain('is not a PEM file');
  });

  it('names the client key it cannot read or use, without showing what the file holds', async () => {
    const caDir = path.join(tempDir('agent-key-ca'), 'ca');
    await initCa(caDir, { now: new Date() });
    const ca = await loadCa(caDir);
    const options = { now: new Date(), lifetimeDays: 1 };
    const mine = await issueServerCertificate(ca, ['agent.test'], options);
    const other = await issueServerCertificate(ca, ['other.test'], options);

    const dir = tempDir('agent-config');
    const key = path.join(dir, 'client.key');
    fs.writeFileSync(path.join(dir, 'client.crt'), mine.certificatePem);
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        api_url: 'https://127.0.0.1:8443',
        mtls_enabled: true,
        mtls_cert_path: path.join(dir, 'client.crt'),
        mtls_key_path: key,
      }),
    );
    const run = () => optralisAgent(['run', '--config-dir', dir, '--once']);

    const missing = await run();
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain(`cannot read the client key ${key} (ENOENT)`);

    // Unreadable even for root: a directory where the key should be.
    fs.mkdirSync(key);
    const unreadable = await run();
    expect(unreadable.code).toBe(78);
    expect(unreadable.stderr).toContain(`cannot read the client key ${key} (EISDIR)`);
    fs.rmdirSync(key);

    fs.writeFileSync(key, 'secret-key-material-0123456789');
    const garbage = await run();
    expect(garbage.code).toBe(78);
    expect(garbage.stderr).toContain(`the client key ${key} is not a PEM file`);
    expect(garbage.stderr).not.toContain('secret-key-material');

    // A real key, but not the one the certificate was issued for.
    fs.writeFileSync(key, other.keyPem);
    const foreign = await run();
    expect(foreign.code).toBe(78);
    expect(foreign.stderr).toContain(`the client key ${key} cannot be used with the certificate`);
    expect(foreign.stderr).not.toContain('PRIVATE KEY');

    const log = fs.readFileSync(path.join(dir, 'logs', 'agent.log'), 'utf8');
    expect(log).toContain(`cannot read the client key ${key} (ENOENT)`);
    expect(log).not.toContain('secret-key-material');
  });
});
