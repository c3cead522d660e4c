import { z } from 'zod';
import { channelSchema } from './platform';

/** Seconds between heartbeats when `config.json` does not say (the specification's default). */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 10;

/**
 * `config.json` of an installed agent, in the format of the specification. Only `api_url` is
 * required; the certificate paths are used only when `mtls_enabled` is true.
 */
export const agentConfigSchema = z.object({
  api_url: z.string().url().max(2048),
  interval: z.number().int().min(1).max(86_400).default(DEFAULT_HEARTBEAT_INTERVAL_SECONDS),
  mtls_enabled: z.boolean().default(false),
  mtls_cert_path: z.string().max(4096).optional(),
  mtls_key_path: z.string().max(4096).optional(),
  ca_cert_path: z.string().max(4096).optional(),
  public_url: z.string().url().max(2048).optional(),
  channel: channelSchema.default('stable'),
  client_id: z.string().max(64).optional(),
  machine_id: z.string().max(64).optional(),
  /** Seconds between posts of metric samples, 60 by default (a sample is taken every `interval`). */
  collectors_interval: z.number().int().min(1).max(86_400).optional(),
  /** Where the agent writes agent.log (default: the specification's log directory). */
  log_dir: z.string().max(4096).optional(),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;
