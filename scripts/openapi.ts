// Writes docs/openapi.json: the API reference of both listeners, generated from the route
// schemas of a real server started on a throwaway data directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../packages/server/src/config';
import { startServer } from '../packages/server/src/server';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OPENAPI_FILE = path.join(ROOT, 'docs/openapi.json');

export async function generateReference(): Promise<{ document: object; text: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-openapi-'));
  const config = loadConfig({
    OPTRALIS_DATA_DIR: dataDir,
    OPTRALIS_DOWNLOADS_DIR: path.join(dataDir, 'downloads'),
    OPTRALIS_HTTP_PORT: '0',
    OPTRALIS_AGENT_PORT: '0',
    OPTRALIS_ADMIN_PASSWORD: 'reference-generation-only',
    // Turned on so that /metrics, off by default, is described too.
    OPTRALIS_METRICS_TOKEN: 'reference-generation-only',
  });
  const server = await startServer(config, { log: pino({ level: 'silent' }) });
  try {
    const response = await fetch(`${server.publicUrl}/api/openapi.json`);
    if (!response.ok) throw new Error(`/api/openapi.json answered ${response.status}`);
    const document = (await response.json()) as object;
    return { document, text: `${JSON.stringify(document, null, 2)}\n` };
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { text } = await generateReference();
  fs.mkdirSync(path.dirname(OPENAPI_FILE), { recursive: true });
  fs.writeFileSync(OPENAPI_FILE, text);
  process.stdout.write(`wrote ${path.relative(ROOT, OPENAPI_FILE)}\n`);
}
