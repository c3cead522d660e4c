import { z } from 'zod';
import { architectureSchema, platformSchema } from './platform';
import { plainText } from './text';

const percent = z.number().min(0).max(100);
const bytes = z
  .number()
  .int()
  .min(0)
  .max(2 ** 53 - 1);

/** What the agent sends every `interval` seconds. */
export const heartbeatRequestSchema = z.object({
  version: plainText(64),
  platform: platformSchema,
  arch: architectureSchema,
  uptime_seconds: z.number().min(0).max(1e10).optional(),
  cpu_percent: percent.nullable().optional(),
  memory: z.object({ total_bytes: bytes, used_bytes: bytes }).optional(),
  disk: z.object({ total_bytes: bytes, used_bytes: bytes }).optional(),
  /** Degrees Celsius, or null when no sensor gives a believable reading. */
  temperature_c: z.number().min(-60).max(200).nullable().optional(),
  /** Set after an update that could not be completed. */
  update_error: plainText(512).optional(),
});

export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

/**
 * An update offer: the spec's three fields, and the signed statement the agent actually trusts
 * (`statement` is the exact JSON text the release key signed, `signature` its ed25519 signature
 * in base64, `key_id` which release key signed it).
 */
export const updateOfferSchema = z.object({
  version: z.string().max(64),
  download_url: z.string().max(2048),
  checksum_sha256: z.string().max(64),
  file_size_bytes: z.number().int().optional(),
  statement: z.string().max(4096).optional(),
  signature: z.string().max(256).optional(),
  key_id: z.string().max(64).optional(),
});

export type UpdateOffer = z.infer<typeof updateOfferSchema>;

export const heartbeatResponseSchema = z.object({
  status: z.literal('ok'),
  update: updateOfferSchema.optional(),
});

export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;
