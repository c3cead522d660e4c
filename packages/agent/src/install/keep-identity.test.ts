import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import { createClient } from '../../../server/src/clients/store';
import { findMachine, revokeMachine } from '../../../server/src/machines/store';
import { createInstallToken } from '../../../server/src/tokens/service';
import { findToken } from '../../../server/src/tokens/store';
import { dryRunPlatform } from '../windows/dry-run';
import { credentialsFromPayload } from './credentials';
import { parseInstallerFlags } from './flags';
import { type InstallRequest, runInstall } from './installer';
import { createInstallLog } from './log';
import type { ProgressEvent } from './progress';
import { installRequestFrom } from './request';

describe('running a new installer on a machine that already has an identity', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** A personalized installer's payload for a new or given client, with a one-use token. */
  async function payloadFor(clientId?: string) {
    const id =
      clientId ?? (await createClient(server.ctx.db, `c-${crypto.randomUUID()}`, new Date())).id;
    // A command token: the dry run enrolls from Linux, which a Windows installer token refuses.
    const token = await createInstallToken(server.ctx, {
      clientId: id,
      createdBy: 'test',
      kind: 'command',
      maxUsage: 1,
    });
    const payload: InstallerPayload = {
      config: {
        mode: 'token',
        api_url: server.agentApiUrl,
        public_url: server.publicUrl,
        channel: 'stable',
        client_id: id,
        created_at: new Date().toISOString(),
      },
      caCert: server.ctx.caTrust.bundlePem,
      releaseKey: server.ctx.releaseKey.info,
      token: token.value,
    };
    return { clientId: id, tokenId: token.row.id, payload };
  }

  function machine() {
    const root = tempDir('windows');
    const exe = path.join(root, 'optralis-agent.exe');
    fs.writeFileSync(exe, 'MZ the agent executable');
    const platform = dryRunPlatform({ root, ownExecutable: exe, machineGuid: crypto.randomUUID() });
    const logFile = path.join(platform.tempDir, 'install.log');
    const events: ProgressEvent[] = [];
    const deps = {
      platform,
      log: createInstallLog({ file: logFile }),
      progress: (event: ProgressEvent) => events.push(event),
      service: { waitMs: 2000, pollMs: 10 },
    };
    const install = (payload: InstallerPayload, extra: Partial<InstallRequest> = {}) =>
      runInstall(
        {
          credentials: credentialsFromPayload(payload),
          channel: 'stable',
          withLhm: false,
          hostname: 'pc-compta-01',
          ...extra,
        },
        deps,
      );
    const config = () => JSON.parse(fs.readFileSync(platform.paths.configFile, 'utf8'));
    return { platform, events, install, config, logFile };
  }

  it('keeps it for the same client and server, without spending the new token', async () => {
    const first = await payloadFor();
    const m = machine();
    const enrolled = await m.install(first.payload);
    expect(enrolled).toMatchObject({ ok: true, identity: 'enrolled' });

    const again = await payloadFor(first.clientId);
    const outcome = await m.install(again.payload);
    expect(outcome).toMatchObject({ ok: true, identity: 'kept', machineId: enrolled.machineId });
    expect((await findToken(server.ctx.db, again.tokenId, first.clientId))?.usage_count).toBe(0);
  });

  it('an installer for another client enrolls the machine there instead of keeping the first', async () => {
    const a = await payloadFor();
    const m = machine();
    const first = await m.install(a.payload);
    expect(first.ok).toBe(true);

    const b = await payloadFor();
    const outcome = await m.install(b.payload);
    expect(outcome, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      identity: 'enrolled',
    });
    expect(outcome.machineId).not.toBe(first.machineId);
    expect(m.config()).toMatchObject({ client_id: b.clientId, machine_id: outcome.machineId });
    expect(await findMachine(server.ctx.db, outcome.machineId as string, b.clientId)).toBeDefined();
    expect(m.events).toContainEqual(
      expect.objectContaining({
        event: 'notice',
        message: expect.stringContaining('elle appartient à un autre client'),
      }),
    );
  });

  it('an identity from another server is replaced by the installer’s', async () => {
    const a = await payloadFor();
    const m = machine();
    expect((await m.install(a.payload)).ok).toBe(true);
    // As if the machine had been enrolled to another Optralis server with the same client id.
    const elsewhere = { ...m.config(), api_url: 'https://agents.elsewhere.example:8443' };
    fs.writeFileSync(m.platform.paths.configFile, JSON.stringify(elsewhere));

    const again = await payloadFor(a.clientId);
    const outcome = await m.install(again.payload);
    expect(outcome).toMatchObject({ ok: true, identity: 'enrolled' });
    expect(m.config().api_url).toBe(server.agentApiUrl);
    expect((await findToken(server.ctx.db, again.tokenId, a.clientId))?.usage_count).toBe(1);
  });

  it('a revoked machine enrolls again with the new token', async () => {
    const a = await payloadFor();
    const m = machine();
    const first = await m.install(a.payload);
    expect(first.ok).toBe(true);
    await revokeMachine(server.ctx.db, first.machineId as string, a.clientId, new Date());

    const again = await payloadFor(a.clientId);
    const outcome = await m.install(again.payload);
    expect(outcome, fs.readFileSync(m.logFile, 'utf8')).toMatchObject({
      ok: true,
      identity: 'enrolled',
    });
    expect(outcome.machineId).not.toBe(first.machineId);
    expect(fs.readFileSync(m.logFile, 'utf8')).toContain('le serveur la refuse (machine_revoked)');
  });

  it('-beta with a personalized installer puts the machine on the beta channel', async () => {
    const a = await payloadFor();
    const m = machine();
    const request = installRequestFrom(parseInstallerFlags(['-silent', '-beta']), a.payload, {});
    expect(request.channel).toBe('beta');
    const outcome = await m.install(a.payload, request);
    expect(outcome).toMatchObject({ ok: true, identity: 'enrolled' });
    const row = await findMachine(server.ctx.db, outcome.machineId as string, a.clientId);
    expect(row?.channel).toBe('beta');
    expect(m.config().channel).toBe('beta');
  });

  it('a token given by hand enrolls again, and the server keeps the same machine', async () => {
    const a = await payloadFor();
    const m = machine();
    const first = await m.install(a.payload);
    expect(first.ok).toBe(true);

    const again = await payloadFor(a.clientId);
    const outcome = await m.install(again.payload, {
      credentials: {
        kind: 'token',
        token: again.payload.token as string,
        serverUrl: server.publicUrl,
        source: 'file',
      },
    });
    expect(outcome).toMatchObject({ ok: true, identity: 'enrolled', machineId: first.machineId });
  });
});
