import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll, PENDING_KEY_FILE } from '../../packages/agent/src/enroll';
import { AgentError } from '../../packages/agent/src/errors';
import { createClient } from '../../packages/server/src/clients/store';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { findToken } from '../../packages/server/src/tokens/store';
import { type LossyProxy, startLossyProxy } from '../support/lossy-proxy';
import { optralisAgent } from '../support/processes';
import { startTestServer, type TestServer, tempDir } from '../support/server';

/** One attempt only: the answer is lost and the command gives up, as if it had been stopped. */
const ONCE = { attempts: 1, baseMs: 5, capMs: 5 };

describe('enrollment that fails on the machine itself', () => {
  let server: TestServer;
  let clientId: string;
  let lossy: LossyProxy;

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0' } });
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    const { hostname, port } = new URL(server.publicUrl);
    lossy = await startLossyProxy({ host: hostname, port: Number(port) }, () => 'drop-answer');
  });

  afterAll(async () => {
    await lossy?.close();
    await server?.stop();
  });

  const oneUseToken = () =>
    createInstallToken(server.ctx, { clientId, createdBy: 'test', kind: 'command', maxUsage: 1 });
  const usesOf = async (tokenId: string) =>
    (await findToken(server.ctx.db, tokenId, null))?.usage_count;
  /** `enroll` through the command, a new one-use token in a file, into `configDir`. */
  const enrollInto = async (configDir: string) => {
    const token = await oneUseToken();
    const tokenFile = path.join(tempDir('enroll-token-file'), 'token');
    fs.writeFileSync(tokenFile, token.value, { mode: 0o600 });
    const args = ['enroll', '--url', server.publicUrl, '--token-file', tokenFile];
    return { token, result: await optralisAgent([...args, '--config-dir', configDir]) };
  };

  it('refuses a configuration directory it cannot write before sending the token', async () => {
    const token = await oneUseToken();
    const blocker = path.join(tempDir('enroll-blocked'), 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    const configDir = path.join(blocker, 'optralis');

    const error = await enroll({
      url: server.publicUrl,
      token: token.value,
      configDir,
      hostname: 'blocked-01',
      hardwareId: 'blocked-hw-01',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code: 'config_dir_unwritable', exitCode: 73 });
    expect((error as Error).message).toContain(configDir);
    expect((error as Error).message).toContain('ENOTDIR');
    expect((error as Error).message).not.toContain(token.value);
    expect(await usesOf(token.row.id)).toBe(0);

    // The unspent token still enrolls the machine once the directory is right.
    const good = tempDir('enroll-unblocked');
    const result = await enroll({
      url: server.publicUrl,
      token: token.value,
      configDir: good,
      hostname: 'blocked-01',
      hardwareId: 'blocked-hw-01',
    });
    expect(result.clientId).toBe(clientId);
    expect(await usesOf(token.row.id)).toBe(1);
    expect(fs.existsSync(path.join(good, PENDING_KEY_FILE))).toBe(false);
    expect(fs.statSync(path.join(good, 'client.key')).mode & 0o777).toBe(0o600);
  });

  it('says the same through the command, with its exit status', async () => {
    const blocker = path.join(tempDir('enroll-blocked-cli'), 'a-file');
    fs.writeFileSync(blocker, '');
    const { token, result } = await enrollInto(path.join(blocker, 'optralis'));
    expect(result.code).toBe(73);
    expect(result.stderr).toContain('cannot write the machine');
    expect(result.stderr).not.toContain(token.value);
    expect(await usesOf(token.row.id)).toBe(0);
  });

  it('refuses a directory the system will never make (under /proc) instead of trying forever', async () => {
    const { token, result } = await enrollInto('/proc/optralis-nowhere/agent');
    expect(result.code).toBe(73);
    expect(result.stderr).toContain('cannot write the machine');
    expect(result.stderr).toContain('(ENOENT)');
    expect(await usesOf(token.row.id)).toBe(0);
  });

  it('exits 64 (usage) for a mistyped command line, and 0 for its help', async () => {
    const unknown = await optralisAgent(['frob']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("unknown command 'frob'");
    const option = await optralisAgent(['enroll', '--frobnicate']);
    expect(option.code).toBe(64);
    expect(option.stderr).toContain("unknown option '--frobnicate'");
    const help = await optralisAgent(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: optralis-agent');
  });

  it('names a token file it cannot read, and sends nothing', async () => {
    const missing = path.join(tempDir('enroll-no-token'), 'token');
    const result = await optralisAgent([
      'enroll',
      '--url',
      server.publicUrl,
      '--token-file',
      missing,
      '--config-dir',
      tempDir('enroll-no-token-config'),
    ]);
    expect(result.code).toBe(66);
    expect(result.stderr).toContain(`cannot read the install token from ${missing} (ENOENT)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a second run after a lost answer gets the same machine without spending another use', async () => {
    const token = await oneUseToken();
    const configDir = tempDir('enroll-lost');
    const lost = await enroll({
      url: lossy.url,
      token: token.value,
      configDir,
      hostname: 'lost-01',
      hardwareId: 'lost-hw-01',
      retry: ONCE,
    }).catch((caught: unknown) => caught);
    expect(lost).toMatchObject({ code: 'server_unreachable' });
    // The server enrolled the machine and spent the only use; the answer never arrived.
    expect(await usesOf(token.row.id)).toBe(1);
    const pendingKey = fs.readFileSync(path.join(configDir, PENDING_KEY_FILE), 'utf8');
    expect(fs.statSync(path.join(configDir, PENDING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(configDir, 'config.json'))).toBe(false);

    const again = await enroll({
      url: server.publicUrl,
      token: token.value,
      configDir,
      hostname: 'lost-01',
      hardwareId: 'lost-hw-01',
    });
    const machines = await server.ctx.db
      .selectFrom('machines')
      .select('id')
      .where('token_id', '=', token.row.id)
      .execute();
    expect(machines.map((machine) => machine.id)).toEqual([again.machineId]);
    expect(await usesOf(token.row.id)).toBe(1);
    expect(fs.readFileSync(path.join(configDir, 'client.key'), 'utf8')).toBe(pendingKey);
    expect(fs.existsSync(path.join(configDir, PENDING_KEY_FILE))).toBe(false);
  });

  it('starts with a new key after a refusal, and replaces a damaged pending key', async () => {
    const configDir = tempDir('enroll-refused-key');
    const refused = await enroll({
      url: server.publicUrl,
      token: 'neverIssuedToken-0123456789abcdefghijklmnop',
      configDir,
      hostname: 'refused-01',
      hardwareId: 'refused-hw-01',
    }).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ exitCode: 77 });
    expect(fs.existsSync(path.join(configDir, PENDING_KEY_FILE))).toBe(false);

    fs.writeFileSync(path.join(configDir, PENDING_KEY_FILE), 'not a key', { mode: 0o600 });
    const token = await oneUseToken();
    const result = await enroll({
      url: server.publicUrl,
      token: token.value,
      configDir,
      hostname: 'damaged-01',
      hardwareId: 'damaged-hw-01',
    });
    expect(result.clientId).toBe(clientId);
    expect(fs.readFileSync(path.join(configDir, 'client.key'), 'utf8')).toContain(
      '-----BEGIN PRIVATE KEY-----',
    );
    expect(fs.existsSync(path.join(configDir, PENDING_KEY_FILE))).toBe(false);
  });
});
