import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optralisAgent } from '../../../test/support/processes';
import { startTestServer, type TestServer, tempDir } from '../../../test/support/server';

/** Two install tokens as the server makes them (43 base64url characters), never issued. */
const FLAG_TOKEN = 'flagTokenValue-0123456789abcdefghijklmnopqrs';
const ENV_TOKEN = 'envTokenValue-0123456789abcdefghijklmnopqrst';

describe('optralis-agent enroll given the token more than one way', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const enroll = (args: string[], env: Record<string, string> = {}) =>
    optralisAgent(
      ['enroll', '--url', server.publicUrl, '--config-dir', tempDir('agent-token'), ...args],
      env,
    );

  it('refuses --token and OPTRALIS_TOKEN that differ, without echoing either', async () => {
    const result = await enroll(['--token', FLAG_TOKEN], { OPTRALIS_TOKEN: ENV_TOKEN });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(
      'OPTRALIS_TOKEN and --token give different install tokens; give the token one way only',
    );
    for (const output of [result.stderr, result.stdout]) {
      expect(output).not.toContain(FLAG_TOKEN);
      expect(output).not.toContain(ENV_TOKEN);
    }
  });

  it('refuses a token file that differs from OPTRALIS_TOKEN', async () => {
    const file = path.join(tempDir('agent-token-file'), 'token');
    fs.writeFileSync(file, `${FLAG_TOKEN}\n`, { mode: 0o600 });
    const result = await enroll(['--token-file', file], { OPTRALIS_TOKEN: ENV_TOKEN });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('--token-file and OPTRALIS_TOKEN give different');
    expect(result.stderr).not.toContain(FLAG_TOKEN);
  });

  it('takes the same token given both ways to the server', async () => {
    const result = await enroll(['--token', ENV_TOKEN], { OPTRALIS_TOKEN: ` ${ENV_TOKEN}\n` });
    // The server saw it: this token was never issued, so the refusal is the server's.
    expect(result.stderr).toContain('enrollment refused');
    expect(result.code).toBe(77);
  });
});
