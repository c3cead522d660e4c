import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { createInstallLog } from '../../packages/agent/src/install/log';
import type { ProgressEvent } from '../../packages/agent/src/install/progress';
import { type DryRunOptions, dryRunPlatform } from '../../packages/agent/src/windows/dry-run';
import { createClient } from '../../packages/server/src/clients/store';
import { createInstallToken } from '../../packages/server/src/tokens/service';
import { type TestServer, tempDir } from './server';

/** Service waits for the dry run, whose service manager answers at once. */
export const FAST = { waitMs: 2000, pollMs: 10 };

/**
 * A command token of a new client. The dry run enrolls from Linux, which the server refuses
 * for a windows_installer token, so the installer's own token kind is not usable here.
 */
export async function commandToken(server: TestServer, maxUsage = 1) {
  const client = await createClient(server.ctx.db, `client-${crypto.randomUUID()}`, new Date());
  const token = await createInstallToken(server.ctx, {
    clientId: client.id,
    createdBy: 'test',
    kind: 'command',
    maxUsage,
  });
  return { clientId: client.id, id: token.row.id, value: token.value };
}

/**
 * A Windows machine on the dry-run platform: the installer downloaded to Downloads, its own
 * MachineGuid, and the install deps with the log and progress events recorded.
 */
export function dryRunMachine(options: Partial<DryRunOptions> = {}) {
  const root = tempDir('windows');
  const exe = path.join(root, 'Downloads', 'optralis-agent-v1.0.0.exe');
  fs.mkdirSync(path.dirname(exe));
  fs.writeFileSync(exe, 'MZ the agent executable');
  const platform = dryRunPlatform({
    root,
    ownExecutable: exe,
    machineGuid: crypto.randomUUID(),
    ...options,
  });
  const logFile = path.join(platform.tempDir, 'optralis-agent-install.log');
  const events: ProgressEvent[] = [];
  const deps = {
    platform,
    log: createInstallLog({ file: logFile }),
    progress: (event: ProgressEvent) => events.push(event),
    service: FAST,
  };
  return { root, exe, platform, deps, events, logFile };
}

export type DryRunMachine = ReturnType<typeof dryRunMachine>;

/** LHM 0.9.4 in the stable channel of `downloadsDir`; returns how to withdraw it. */
export function offerLhm(downloadsDir: string): () => void {
  const zip = Buffer.from(
    zipSync({
      'lhm-wrapper.exe': Buffer.from('MZ lhm'),
      'lib/LibreHardwareMonitorLib.dll': Buffer.from('dll'),
    }),
  );
  const dir = path.join(downloadsDir, 'stable');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'lhm-windows-0.9.4.zip'), zip);
  const metadata = path.join(dir, 'metadata-lhm.json');
  fs.writeFileSync(
    metadata,
    JSON.stringify({
      version: '0.9.4',
      filename: 'lhm-windows-0.9.4.zip',
      checksum_sha256: crypto.createHash('sha256').update(zip).digest('hex').toUpperCase(),
      file_size_bytes: zip.length,
    }),
  );
  return () => fs.rmSync(metadata);
}
