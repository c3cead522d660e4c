import { z } from 'zod';
import { errorBodySchema } from './errors';

/** `POST /api/auth/login`. */
export const loginRequestSchema = z.object({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

export const loginResponseSchema = z.object({
  token: z.string().describe('A JWT to send as "Authorization: Bearer <token>".'),
  user: z.object({
    id: z.string(),
    email: z.string(),
    role: z.string(),
    client_id: z.string().nullable(),
  }),
});

/** A machine as the dashboard and the CLI show it. */
export const publicMachineSchema = z.object({
  id: z.string(),
  client_id: z.string(),
  hostname: z.string(),
  hardware_id: z.string().nullable(),
  platform: z.string().nullable(),
  arch: z.string().nullable(),
  agent_version: z.string().nullable(),
  channel: z.string(),
  enrolled_at: z.string(),
  last_seen: z.string().nullable(),
  online: z.boolean(),
  revoked_at: z.string().nullable(),
  /** From the last inventory; null before the first one arrives. */
  os: z.object({ name: z.string(), version: z.string().nullable() }).nullable(),
  /** The readings of the last heartbeat; a value the agent could not read is null. */
  status: z.object({
    uptime_seconds: z.number().nullable(),
    cpu_percent: z.number().nullable(),
    memory_total_bytes: z.number().nullable(),
    memory_used_bytes: z.number().nullable(),
    disk_total_bytes: z.number().nullable(),
    disk_used_bytes: z.number().nullable(),
    temperature_c: z.number().nullable(),
  }),
});

export const machineListSchema = z.object({ machines: z.array(publicMachineSchema) });

/** `GET /api/settings`: where installers and agents reach this server, for the commands shown. */
export const settingsResponseSchema = z.object({
  public_url: z.string(),
  agent_api_url: z.string(),
});

export type SettingsResponse = z.infer<typeof settingsResponseSchema>;

export const healthSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
});

export const agentHealthSchema = z.object({ status: z.literal('ok'), machine_id: z.string() });

export { errorBodySchema };
