import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from './backoff';
import { loadAgentConfig } from './config';
import { AgentError } from './errors';
import { collectHeartbeat } from './heartbeat';
import type { AgentLog } from './log';
import { AgentTransport, describeError } from './transport';
import { Updater } from './update/updater';

export interface RunOptions {
  configDir: string;
  once?: boolean;
  log: AgentLog;
  signal?: AbortSignal;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * The service loop: a heartbeat every `interval` seconds over one kept-alive mTLS connection.
 * The agent never exits because the server is away; it logs the first failure and the recovery.
 * With `once`, one heartbeat is sent and its failure is the exit status.
 */
export async function runAgent(options: RunOptions): Promise<void> {
  const { config, tls } = loadAgentConfig(options.configDir);
  if (!tls) {
    throw new AgentError(
      'mtls_disabled',
      'mtls_enabled is not true in config.json: the agent API accepts only mutual TLS',
      78,
    );
  }
  const transport = new AgentTransport(config.api_url, tls);
  const { log } = options;
  log.info('agent started', { api_url: config.api_url, interval: config.interval });
  // Self-update: confirms a pending update, applies signed offers (see update/).
  const updates = new Updater({ configDir: options.configDir, log, apply: !options.once });
  updates.start();

  let failures = 0;
  try {
    while (!options.signal?.aborted) {
      const outcome = await sendHeartbeat(transport, updates.heartbeatFields());
      if (outcome.ok) {
        await updates.afterHeartbeat(outcome.body);
        if (failures > 0)
          log.info('connection to the server restored', { after_failures: failures });
        failures = 0;
      } else {
        failures += 1;
        if (failures === 1) log.warn('cannot reach the server', { reason: outcome.reason });
        if (options.once) throw new AgentError(outcome.code, outcome.reason, 69);
      }
      if (options.once) return;

      const waitMs =
        failures === 0
          ? config.interval * 1000
          : backoffDelay(failures, { baseMs: config.interval * 1000, capMs: MAX_BACKOFF_MS });
      await sleep(waitMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    updates.stop();
    transport.close();
  }
}

type Outcome = { ok: true; body: unknown } | { ok: false; code: string; reason: string };

async function sendHeartbeat(transport: AgentTransport, extra: object): Promise<Outcome> {
  try {
    const response = await transport.postJson('/heartbeat', { ...collectHeartbeat(), ...extra });
    if (response.status === 200) return { ok: true, body: response.body };
    const error = describeError(response);
    return { ok: false, code: error.code, reason: `${error.code}: ${error.message}` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'network_error';
    return { ok: false, code, reason: `${code}: ${(error as Error).message}` };
  }
}
