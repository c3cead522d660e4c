import fs from 'node:fs';
import type { Channel } from '@optralis/protocol';
import { loadAgentConfig } from './config';
import { AgentError } from './errors';
import { writeFileAtomic } from './files';
import { AgentTransport, describeError } from './transport';

export interface ChannelMove {
  machineId: string;
  from: string;
  channel: Channel;
}

/**
 * Moves this machine to another release channel: the server is asked first, over the machine's
 * own mutual-TLS connection, and config.json says the new channel only once the server agreed.
 * The installer calls it when an enrolled machine is installed again with another `--channel`.
 */
export async function moveToChannel(configDir: string, channel: Channel): Promise<ChannelMove> {
  const loaded = loadAgentConfig(configDir);
  const { config, tls } = loaded;
  if (!tls || !config.machine_id) {
    throw new AgentError('not_enrolled', `${loaded.file} holds no machine certificate`, 78);
  }
  const move = { machineId: config.machine_id, from: config.channel, channel };

  const transport = new AgentTransport(config.api_url, tls);
  try {
    const response = await transport.postJson('/channel', { channel });
    if (response.status !== 200) {
      const error = describeError(response);
      throw new AgentError(error.code, `the server refused the move: ${error.message}`, 77);
    }
  } catch (error) {
    if (error instanceof AgentError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError('server_unreachable', `cannot reach ${config.api_url}: ${reason}`, 69);
  } finally {
    transport.close();
  }

  // Rewritten as read, with only the channel changed: the keys keep their order.
  const stored = JSON.parse(fs.readFileSync(loaded.file, 'utf8').replace(/^\uFEFF/, ''));
  writeFileAtomic(loaded.file, `${JSON.stringify({ ...stored, channel }, null, 2)}\n`, 0o600);
  return move;
}
