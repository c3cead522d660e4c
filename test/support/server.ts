import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig, type ServerConfig } from '../../packages/server/src/config';
import type { Clock } from '../../packages/server/src/ids';
import { type RunningServer, startServer } from '../../packages/server/src/server';

export interface TestServer extends RunningServer {
  dataDir: string;
  config: ServerConfig;
  /** Environment that points the CLI at this server's store. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function tempDir(prefix: string): string {
  const base = process.env.OPTRALIS_TEST_TMP ?? os.tmpdir();
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

/** A real server on loopback ports chosen by the system, with a fresh data directory. */
export async function startTestServer(
  options: { env?: Record<string, string>; clock?: Clock; log?: Logger } = {},
): Promise<TestServer> {
  const dataDir = tempDir('server');
  const env: Record<string, string> = {
    OPTRALIS_DATA_DIR: dataDir,
    OPTRALIS_HTTP_PORT: '0',
    OPTRALIS_AGENT_PORT: '0',
    OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
    OPTRALIS_ADMIN_PASSWORD: 'correct-horse-battery',
    OPTRALIS_LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = loadConfig(env);
  const server = await startServer(config, {
    log: options.log ?? pino({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    ...server,
    dataDir,
    config,
    env,
    async stop() {
      await server.close();
    },
  };
}
