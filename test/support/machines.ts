import fs from 'node:fs';
import path from 'node:path';
import { enroll } from '../../packages/agent/src/enroll';
import { createClient } from '../../packages/server/src/clients/store';
import { createToken } from '../../packages/server/src/tokens/service';
import { type TestServer, tempDir } from './server';

export interface TestMachine {
  machineId: string;
  clientId: string;
  configDir: string;
  cert: string;
  key: string;
  /** The trust bundle the agent received (what it pins the agent API with). */
  ca: string;
}

/** A client of its own on a running test server. */
export async function newClient(server: TestServer, name = 'Acme'): Promise<string> {
  return (await createClient(server.ctx.db, name, new Date())).id;
}

/**
 * Enrolls a machine through the real bootstrap route with the agent's own enrollment code, as
 * `optralis-agent enroll` does. Each machine gets its own hardware id, so that several
 * simulated on one host are not taken for clones.
 */
export async function enrollTestMachine(
  server: TestServer,
  clientId: string,
  hostname: string,
): Promise<TestMachine> {
  const made = await createToken(
    server.ctx.db,
    { clientId, createdBy: 'test', ttlMinutes: 15, maxUsage: 1, platform: 'any', kind: 'command' },
    new Date(),
  );
  const configDir = tempDir('agent');
  const result = await enroll({
    url: server.publicUrl,
    token: made.value,
    configDir,
    hostname,
    hardwareId: `hw-${hostname}`,
  });
  const read = (name: string) => fs.readFileSync(path.join(configDir, name), 'utf8');
  return {
    machineId: result.machineId,
    clientId,
    configDir,
    cert: read('client.crt'),
    key: read('client.key'),
    ca: read('ca.crt'),
  };
}
