import fs from 'node:fs';
import path from 'node:path';
import { type AgentConfig, agentConfigSchema } from '@optralis/protocol';
import { AgentError } from './errors';

export const CONFIG_FILE = 'config.json';

export interface LoadedConfig {
  config: AgentConfig;
  file: string;
  /** Present only when `mtls_enabled` is true: the specification ignores the paths otherwise. */
  tls?: { certificatePem: string; keyPem: string; caPem?: string | undefined };
}

export function loadAgentConfig(configDir: string): LoadedConfig {
  const file = path.join(configDir, CONFIG_FILE);
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new AgentError('config_missing', `cannot read ${file}: ${(error as Error).message}`, 78);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AgentError('config_invalid', `${file} is not valid JSON`, 78);
  }
  const result = agentConfigSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AgentError(
      'config_invalid',
      `${file}: ${issue?.path.join('.') || 'value'} ${issue?.message ?? 'is not valid'}`,
      78,
    );
  }
  const config = result.data;
  if (!config.mtls_enabled) return { config, file };

  if (!config.mtls_cert_path || !config.mtls_key_path) {
    throw new AgentError(
      'config_invalid',
      `${file}: mtls_enabled is true but mtls_cert_path or mtls_key_path is missing`,
      78,
    );
  }
  return {
    config,
    file,
    tls: {
      certificatePem: readPem(config.mtls_cert_path, 'client certificate'),
      keyPem: readPem(config.mtls_key_path, 'client key'),
      caPem: config.ca_cert_path ? readPem(config.ca_cert_path, 'CA certificate') : undefined,
    },
  };
}

function readPem(file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError(
      'certificate_unreadable',
      `cannot read the ${what} ${file} (${reason})`,
      78,
    );
  }
  if (!text.includes('-----BEGIN ')) {
    throw new AgentError('certificate_unreadable', `the ${what} ${file} is not a PEM file`, 78);
  }
  return text;
}
