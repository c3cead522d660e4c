import fs from 'node:fs';
import path from 'node:path';
import { RELEASE_KEY_FILE } from '@optralis/protocol';
import { readPayloadZip } from '@optralis/protocol/installer-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticPe } from '../../../../test/support/pe';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { commandToken, dryRunMachine as machine } from '../../../../test/support/windows-install';
import { createClient } from '../../../server/src/clients/store';
import { analyzeBase } from '../../../server/src/installers/windows/analysis';
import { makeWindowsPayload } from '../../../server/src/installers/windows/payload';
import { personalize } from '../../../server/src/installers/windows/personalize';
import { listMachines } from '../../../server/src/machines/store';
import { findToken, listTokens } from '../../../server/src/tokens/store';
import { parseInstallerFlags } from './flags';
import { type InstallRequest, runInstall } from './installer';
import { installRequestFrom } from './request';
import { peChecksum } from './strip-payload';

/** A personalized EXE run on the dry-run platform, with the payload the server makes. */
describe('installing from a personalized installer’s payload', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const newToken = (maxUsage = 1) => commandToken(server, maxUsage);

  function tokenRequest(token: string): InstallRequest {
    return {
      credentials: { kind: 'token', token, serverUrl: server.publicUrl, source: 'file' },
      channel: 'stable',
      withLhm: false,
    };
  }

  it('an EXE with a certificate-mode payload installs its mTLS identity and spends no token', async () => {
    const client = await createClient(server.ctx.db, `client-${crypto.randomUUID()}`, new Date());
    const made = await makeWindowsPayload(server.ctx, {
      clientId: client.id,
      actor: 'user:test',
      mode: 'certificate',
      maxUsage: 1,
      sourceIp: '127.0.0.1',
    });
    // What the executable reads back from its own payload ZIP.
    const payload = readPayloadZip(made.zip);
    expect(payload.token).toBeUndefined();
    const m = machine();
    const request = installRequestFrom(parseInstallerFlags(['-silent']), payload, {});
    expect(request.credentials).toMatchObject({ kind: 'certificate', source: 'payload' });

    const outcome = await runInstall(request, m.deps);
    expect(outcome, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      exitCode: 0,
      identity: 'imported',
      machineId: made.machineId,
    });

    // The spec's places: C:\Program Files\Optralis Agent\ and C:\ProgramData\optralis-agent\.
    const { paths } = m.platform;
    expect(paths.agentExe).toBe(
      path.join(m.root, 'Program Files', 'Optralis Agent', 'optralis-agent.exe'),
    );
    expect(paths.dataDir).toBe(path.join(m.root, 'ProgramData', 'optralis-agent'));
    expect(fs.readFileSync(paths.agentExe, 'utf8')).toBe('MZ the agent executable');
    expect(fs.readFileSync(paths.clientCert, 'utf8')).toBe(made.payload.clientCert);
    expect(fs.readFileSync(paths.clientKey, 'utf8')).toBe(made.payload.clientKey);
    expect(fs.readFileSync(paths.caCert, 'utf8')).toBe(server.ctx.caTrust.bundlePem);
    expect(JSON.parse(fs.readFileSync(path.join(paths.dataDir, RELEASE_KEY_FILE), 'utf8'))).toEqual(
      server.ctx.releaseKey.info,
    );
    expect(JSON.parse(fs.readFileSync(paths.configFile, 'utf8'))).toMatchObject({
      api_url: server.agentApiUrl,
      mtls_enabled: true,
      mtls_cert_path: paths.clientCert,
      mtls_key_path: paths.clientKey,
      ca_cert_path: paths.caCert,
      channel: 'stable',
      client_id: client.id,
      machine_id: made.machineId,
    });
    expect(m.platform.windows.services.get('OptralisAgent')?.state).toBe('running');

    // No enrollment from the machine: the one token was spent when the installer was made,
    // the server still has the one machine, and MachineGuid was never read to enroll.
    const tokens = await listTokens(server.ctx.db, client.id);
    expect(tokens.map((t) => [t.id, t.usage_count])).toEqual([[made.tokenId, 1]]);
    const machines = await listMachines(server.ctx.db, client.id);
    expect(machines.map((row) => row.id)).toEqual([made.machineId]);
    expect(m.platform.windows.lines('reg.exe').some((l) => l.includes('MachineGuid'))).toBe(false);
    const log = fs.readFileSync(m.logFile, 'utf8');
    expect(log).toContain(`Certificat mTLS installé (machine ${made.machineId})`);
    expect(log).not.toContain('PRIVATE KEY');
  });

  it('a newer personalized installer run again upgrades in place: new program, same key, token unspent', async () => {
    const token = await newToken(1);
    const m = machine();
    const first = await runInstall(tokenRequest(token.value), m.deps);
    expect(first).toMatchObject({ ok: true, identity: 'enrolled' });
    const { paths } = m.platform;
    const keyBefore = fs.readFileSync(paths.clientKey, 'utf8');
    const certificateBefore = fs.readFileSync(paths.clientCert, 'utf8');

    // The next release, downloaded from the dashboard for the same client: a new base with a
    // payload (and a new token) put in by the server's own code.
    const made = await makeWindowsPayload(server.ctx, {
      clientId: token.clientId,
      actor: 'user:test',
      mode: 'token',
      maxUsage: 1,
      sourceIp: '127.0.0.1',
    });
    const base = syntheticPe();
    base.writeUInt32LE(peChecksum(base, 0x80 + 24 + 64), 0x80 + 24 + 64);
    const baseFile = path.join(m.root, 'Downloads', 'base-v1.1.0.exe');
    fs.writeFileSync(baseFile, base);
    const layout = personalize(await analyzeBase(baseFile), made.zip);
    const newer = path.join(m.root, 'Downloads', 'optralis-agent-v1.1.0.exe');
    fs.writeFileSync(
      newer,
      Buffer.concat(
        layout.segments.map((segment) =>
          segment.kind === 'bytes' ? segment.bytes : base.subarray(segment.start, segment.end),
        ),
      ),
    );
    const request = installRequestFrom(
      parseInstallerFlags(['-silent']),
      readPayloadZip(made.zip),
      {},
    );

    const again = await runInstall({ ...request, sourceExe: newer }, m.deps);
    expect(again, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      identity: 'kept',
      machineId: first.machineId,
    });
    expect(fs.readFileSync(m.logFile, 'utf8')).toContain(
      "réparation et mise à jour, l'identité est conservée",
    );
    // The program is the new release, without the installer's payload.
    expect(fs.statSync(newer).size).toBeGreaterThan(base.length);
    expect(fs.readFileSync(paths.agentExe).equals(base)).toBe(true);
    expect(fs.readFileSync(paths.clientKey, 'utf8')).toBe(keyBefore);
    expect(fs.readFileSync(paths.clientCert, 'utf8')).toBe(certificateBefore);
    expect(JSON.parse(fs.readFileSync(paths.configFile, 'utf8')).machine_id).toBe(first.machineId);
    expect(m.platform.windows.lines('sc.exe')).toContain('stop OptralisAgent');
    expect(m.platform.windows.services.get('OptralisAgent')?.state).toBe('running');

    // Neither token went further: the first spent once, the new installer's never.
    expect((await findToken(server.ctx.db, token.id, token.clientId))?.usage_count).toBe(1);
    expect((await findToken(server.ctx.db, made.tokenId, token.clientId))?.usage_count).toBe(0);
    const machines = await listMachines(server.ctx.db, token.clientId);
    expect(machines.map((row) => row.id)).toEqual([first.machineId]);
  });
});
