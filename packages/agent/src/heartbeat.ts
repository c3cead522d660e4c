import os from 'node:os';
import type { HeartbeatRequest } from '@optralis/protocol';
import { currentArch, currentPlatform } from './platform';
import { AGENT_VERSION } from './version';

/** The heartbeat body: who this agent is and a few cheap readings of the machine. */
export function collectHeartbeat(): HeartbeatRequest {
  const total = os.totalmem();
  return {
    version: AGENT_VERSION,
    platform: currentPlatform(),
    arch: currentArch(),
    uptime_seconds: Math.round(os.uptime()),
    memory: { total_bytes: total, used_bytes: total - os.freemem() },
  };
}
