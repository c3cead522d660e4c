import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTs } from '../../../../test/support/processes';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import { createClient } from '../../../server/src/clients/store';
import { findMachine } from '../../../server/src/machines/store';
import { createInstallToken } from '../../../server/src/tokens/service';
import { findToken } from '../../../server/src/tokens/store';
import { EXIT } from './errors';

/** The silent installer in a child process, its standard input given by the test. */
function installer(root: string, flags: string[], input: string, env: Record<string, string> = {}) {
  return runTs('test/support/dry-run-installer.ts', [root, ...flags], { input, env });
}

describe('-token-file - : the token read from standard input', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function newToken() {
    const client = await createClient(server.ctx.db, `stdin-${crypto.randomUUID()}`, new Date());
    const made = await createInstallToken(server.ctx, {
      clientId: client.id,
      createdBy: 'test',
      kind: 'command',
    });
    return { clientId: client.id, id: made.row.id, value: made.value };
  }

  it('enrolls with a token piped in, and the token shows nowhere', async () => {
    const token = await newToken();
    const root = tempDir('stdin');
    const flags = ['-silent', '-url', server.publicUrl, '-token-file', '-'];
    // As `Get-Content jeton.txt | optralis-agent.exe …` gives it: a BOM and a line ending.
    const result = await installer(root, flags, `\uFEFF${token.value}\r\n`);
    expect(result.code, result.stdout + result.stderr).toBe(EXIT.ok);

    const config = JSON.parse(
      fs.readFileSync(path.join(root, 'ProgramData', 'optralis-agent', 'config.json'), 'utf8'),
    );
    const machine = await findMachine(server.ctx.db, config.machine_id, token.clientId);
    expect(machine?.client_id).toBe(token.clientId);
    expect((await findToken(server.ctx.db, token.id, token.clientId))?.usage_count).toBe(1);
    expect(result.stdout).toContain(`Machine inscrite : ${config.machine_id}`);
    const log = fs.readFileSync(path.join(root, 'Temp', 'optralis-agent-install.log'), 'utf8');
    for (const text of [result.stdout, result.stderr, log]) expect(text).not.toContain(token.value);
  });

  it('without administrator rights, hands the piped token to the elevated copy in a file', async () => {
    const root = tempDir('stdin-user');
    const flags = ['-silent', '-url', server.publicUrl, '-token-file', '-'];
    const result = await installer(root, flags, 'opt_piped-token\n', {
      OPTRALIS_DRY_RUN_USER: '1',
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);

    const elevated = JSON.parse(fs.readFileSync(path.join(root, 'elevated.json'), 'utf8'));
    const file = elevated.args[elevated.args.indexOf('-token-file') + 1];
    expect(file).not.toBe('-');
    expect(elevated.handed).toBe('opt_piped-token\n');
    expect(elevated.args.join(' ')).not.toContain('opt_piped-token');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('empty standard input is refused with status 6 before anything is installed', async () => {
    const root = tempDir('stdin-empty');
    const flags = ['-silent', '-url', server.publicUrl, '-token-file', '-'];
    const result = await installer(root, flags, '\r\n');
    expect(result.code).toBe(EXIT.badCredentials);
    expect(result.stdout).toContain(
      "Erreur : L'entrée standard ne contient pas un jeton d'installation. [token_unreadable]",
    );
    expect(fs.existsSync(path.join(root, 'Program Files', 'Optralis Agent'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'ProgramData', 'optralis-agent'))).toBe(false);
  });
});
