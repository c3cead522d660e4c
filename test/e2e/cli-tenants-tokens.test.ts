import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliError, json, optralis, type ProcessResult } from '../support/processes';
import { startTestServer, type TestServer, tempDir } from '../support/server';

interface TokenOut {
  id: string;
  token?: string;
  client_id: string;
  kind: string;
  max_usage: number;
  usage_count: number;
  expires_at: string;
  active?: boolean;
}

/** With --json, a refusal is one JSON object on standard error, and nothing on standard out. */
function refusal(result: ProcessResult): { code: string; message: string } {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  return cliError(result);
}

describe('the optralis CLI follows the same tenant and token rules as the API', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_LOGIN_RATE: '0' } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const cli = (args: string[]) => optralis(['--json', ...args], server.env);

  it('creates a client with its administrator, whose password works once shown', async () => {
    const result = await cli(['client', 'create', 'Acme', '--admin-email', 'boss@acme.test']);
    expect(result.code, result.stderr).toBe(0);
    const created = json<{
      client: { id: string; name: string };
      admin: { email: string; role: string };
      admin_password: string;
    }>(result);
    expect(created.client.name).toBe('Acme');
    expect(created.admin).toMatchObject({ email: 'boss@acme.test', role: 'client_admin' });
    clientId = created.client.id;

    const login = await server.publicApp.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'boss@acme.test', password: created.admin_password },
    });
    expect(login.statusCode).toBe(200);

    const again = await cli(['client', 'create', 'Other', '--admin-email', 'boss@acme.test']);
    expect(again.code).toBe(1);
    expect(refusal(again).code).toBe('email_taken');
    // The API's own rules for the email, before anything is made.
    for (const [email, message] of [
      ['not-an-email', '--admin-email must be an email address'],
      [`${'a'.repeat(320)}@acme.test`, '--admin-email must be at most 320 characters'],
    ]) {
      const bad = await cli(['client', 'create', 'Bad email', '--admin-email', email as string]);
      expect(refusal(bad)).toEqual({ code: 'invalid_argument', message });
    }
    const names = json<{ name: string }[]>(await cli(['client', 'list'])).map((row) => row.name);
    expect(names).not.toContain('Bad email');
    const text = await optralis(
      ['client', 'create', 'Other', '--admin-email', 'boss@acme.test'],
      server.env,
    );
    expect(text.stderr).toContain('(email_taken)');
  });

  it('refuses a lifetime over 60 minutes, a negative max usage and an unknown platform', async () => {
    const base = ['token', 'create', '--client', clientId];
    const cases: [string[], string][] = [
      [['--ttl', '61m'], '--ttl'],
      [['--ttl', '0m'], '--ttl'],
      [['--max-usage', '-1'], '--max-usage'],
      [['--max-usage', '2.5'], '--max-usage'],
      [['--platform', 'macos'], '--platform'],
    ];
    for (const [extra, mention] of cases) {
      const result = await cli([...base, ...extra]);
      expect(result.code, extra.join(' ')).toBe(1);
      const { code, message } = refusal(result);
      expect(code).toBe('invalid_argument');
      expect(message).toContain(mention);
    }
    const none = await cli(['token', 'list', '--client', clientId]);
    expect(json<TokenOut[]>(none)).toEqual([]);
  });

  it('creates, lists and revokes a token, and the audit log records each step', async () => {
    const created = json<TokenOut>(
      await cli(['token', 'create', '--client', clientId, '--ttl', '1h', '--max-usage', '0']),
    );
    expect(created).toMatchObject({ client_id: clientId, kind: 'command', max_usage: 0 });
    expect(created.token).toMatch(/^opt_/);
    expect(Math.round((Date.parse(created.expires_at) - Date.now()) / 60_000)).toBe(60);

    const listed = await cli(['token', 'list', '--client', clientId]);
    expect(listed.stdout).not.toContain(created.token);
    expect(json<TokenOut[]>(listed)).toEqual([
      expect.objectContaining({ id: created.id, active: true, usage_count: 0 }),
    ]);

    const revoked = await cli(['token', 'revoke', created.id]);
    expect(json(revoked)).toEqual({ id: created.id, revoked: true });
    const missing = await cli(['token', 'revoke', '01NOSUCHTOKEN000000000000']);
    expect(refusal(missing)).toEqual({
      code: 'not_found',
      message: 'no token has the id 01NOSUCHTOKEN000000000000',
    });
    const noClient = await cli(['token', 'create', '--client', '01NOSUCHCLIENT00000000000']);
    expect(refusal(noClient)).toEqual({
      code: 'not_found',
      message: 'no client has the id 01NOSUCHCLIENT00000000000',
    });

    const events = json<{ action: string; subject: string; client_id: string }[]>(
      await cli(['audit', '--client', clientId]),
    );
    const forToken = events.filter((event) => event.subject === created.id);
    expect(forToken.map((event) => event.action).sort()).toEqual([
      'token.created',
      'token.revoked',
    ]);
    expect(JSON.stringify(events)).not.toContain(created.token);
  });

  it('creates a read-only user who can look but not create tokens', async () => {
    const result = await cli([
      'user',
      'create',
      '--email',
      'viewer@acme.test',
      '--role',
      'read_only',
      '--client',
      clientId,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const user = json<{ role: string; client_id: string; password: string }>(result);
    expect(user).toMatchObject({ role: 'read_only', client_id: clientId });

    const login = await server.publicApp.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'viewer@acme.test', password: user.password },
    });
    const headers = { authorization: `Bearer ${login.json().token}` };
    const list = await server.publicApp.inject({
      method: 'GET',
      url: '/api/install-tokens',
      headers,
    });
    expect(list.statusCode).toBe(200);
    const create = await server.publicApp.inject({
      method: 'POST',
      url: '/api/install-tokens',
      headers,
      payload: {},
    });
    expect(create.statusCode).toBe(403);

    const superWithClient = await cli([
      'user',
      'create',
      '--email',
      'x@acme.test',
      '--role',
      'super_admin',
      '--client',
      clientId,
    ]);
    expect(superWithClient.code).not.toBe(0);
  });

  it('revokes a machine once, and says so when asked again; lists check the client', async () => {
    const token = json<TokenOut>(await cli(['token', 'create', '--client', clientId]));
    const enrolled = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token: token.token, hostname: 'cli-machine-01', hardware_id: 'cli-hw-01' },
    });
    expect(enrolled.statusCode).toBe(200);
    const machineId = enrolled.json().machine_id as string;

    expect(json(await cli(['machines', 'revoke', machineId]))).toEqual({
      id: machineId,
      revoked: true,
      already_revoked: false,
    });
    const again = await optralis(['machines', 'revoke', machineId], server.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`machine ${machineId} was already revoked`);
    const missing = await cli(['machines', 'revoke', '01NOSUCHMACHINE0000000000']);
    expect(refusal(missing)).toEqual({
      code: 'not_found',
      message: 'no machine has the id 01NOSUCHMACHINE0000000000',
    });

    const unknown = await cli(['machines', 'list', '--client', '01NOSUCHCLIENT00000000000']);
    expect(refusal(unknown)).toEqual({
      code: 'not_found',
      message: 'no client has the id 01NOSUCHCLIENT00000000000',
    });

    // One revocation, one event; details are objects in JSON, not strings.
    const events = json<{ action: string; subject: string; details: unknown }[]>(
      await cli(['audit', '--client', clientId, '--limit', '2']),
    );
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ action: 'machine.revoked', subject: machineId });
    expect(events.filter((event) => event.action === 'machine.revoked')).toHaveLength(1);
    expect(
      events.every((event) => event.details === null || typeof event.details === 'object'),
    ).toBe(true);
    const badLimit = await cli(['audit', '--limit', '0']);
    expect(refusal(badLimit)).toEqual({
      code: 'invalid_argument',
      message: '--limit must be a whole number from 1 to 1000',
    });

    const text = await optralis(['token', 'list', '--client', clientId], server.env);
    const [header, ...lines] = text.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toContain('active');
    // The token was spent by the enrollment: no longer active.
    expect(lines.find((line) => line.startsWith(token.id))).toMatch(/\sfalse\s/);
  });

  it('refuses to read a store that is not there, and says when it makes a new one', async () => {
    const elsewhere = path.join(tempDir('cli-elsewhere'), 'data');
    const env = { ...server.env, OPTRALIS_DATA_DIR: elsewhere };
    for (const args of [
      ['token', 'list'],
      ['machines', 'list'],
      ['audit'],
      ['user', 'list'],
      ['token', 'create', '--client', clientId],
    ]) {
      const result = await optralis(args, env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(`there is no Optralis store in ${elsewhere}`);
    }
    expect(fs.existsSync(elsewhere)).toBe(false);
    expect(refusal(await optralis(['--json', 'token', 'list'], env)).code).toBe('store_missing');
    // A PostgreSQL store that cannot be reached says why.
    const unreachable = { ...server.env, DATABASE_URL: 'postgres://optralis@127.0.0.1:1/optralis' };
    const down = refusal(await optralis(['--json', 'token', 'list'], unreachable));
    expect(down.code).toBe('database_unavailable');
    expect(down.message).toBe('cannot open the database: connect ECONNREFUSED 127.0.0.1:1');

    const made = await optralis(['client', 'create', 'Elsewhere'], env);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain(`made a new store in ${elsewhere}`);
    const listed = await optralis(['--json', 'client', 'list'], env);
    expect(json<{ name: string }[]>(listed).map((row) => row.name)).toEqual(['Elsewhere']);
    expect(listed.stderr).not.toContain('made a new store');
  });

  it('refuses a mistyped command line with invalid_usage, as JSON or as text with the help', async () => {
    const cases: [string[], string][] = [
      [['tokens', 'list'], "unknown command 'tokens'"],
      [['token', 'create'], "required option '--client <id>' not specified"],
      [['client', 'create', 'A', '--bogus'], "unknown option '--bogus'"],
    ];
    for (const args of [[], ['token'], ['help', 'frob']]) {
      expect(refusal(await cli(args))).toEqual({
        code: 'invalid_usage',
        message: 'no command to run here: --help lists the commands',
      });
    }
    for (const [args, message] of cases) {
      const refused = refusal(await cli(args));
      expect(refused.code, args.join(' ')).toBe('invalid_usage');
      expect(refused.message).toContain(message);
      const text = await optralis(args, server.env);
      expect(text.code).toBe(1);
      expect(text.stderr).toContain(`error: ${message}`);
      expect(text.stderr).toContain('Usage: optralis');
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: optralis');
  });
});
