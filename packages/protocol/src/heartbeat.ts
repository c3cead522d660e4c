import { z } from 'zod';
import { architectureSchema, channelSchema, platformSchema } from './platform';
import { signedStatementSchema } from './release-statement';
import { percentSchema, reportedTemperatureSchema, usageSchema } from './telemetry';
import { pemSchema, plainText } from './text';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lowercase hex');

/** What the agent sends every `interval` seconds. */
export const heartbeatRequestSchema = z.object({
  version: plainText(64),
  platform: platformSchema,
  arch: architectureSchema,
  uptime_seconds: z.number().min(0).max(1e10).optional(),
  /** Average over the time since the previous heartbeat; null before there is one. */
  cpu_percent: percentSchema.nullable().optional(),
  memory: usageSchema.optional(),
  /** The system disk (`/`, or the Windows system drive). */
  disk: usageSchema.optional(),
  /**
   * Degrees Celsius, -1 when no sensor gives a believable reading (null is read the same, and
   * so is an impossible reading: see reportedTemperatureSchema).
   */
  temperature_c: reportedTemperatureSchema.nullable().optional(),
  /** Set after an update that could not be completed. */
  update_error: plainText(512).optional(),
  /** SHA-256 of the CA trust bundle the agent holds; the answer carries the bundle if it differs. */
  ca_bundle_sha256: sha256Hex.optional(),
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
  /** The signed catalogue statement (`optralis-catalogue/v1`): the current release sequence. */
  releases: signedStatementSchema.optional(),
  /**
   * The CAs the agent API trusts (PEM, the issuing one first), sent when the agent's copy
   * differs: the agent stores it and trusts it from then on (CA rotation).
   */
  ca_bundle: z.string().max(65_536).optional(),
  /** True when the agent's certificate comes from a CA being retired: renew now. */
  renew: z.boolean().optional(),
});

export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

/** `POST /renew`: a new certificate for the same machine, for a key made on the machine. */
export const renewRequestSchema = z.object({ csr: pemSchema });

export type RenewRequest = z.infer<typeof renewRequestSchema>;

export const renewResponseSchema = z.object({
  certificate: z.string(),
  /** The CAs the agent API trusts, the issuing one first. */
  ca_cert: z.string(),
  not_after: z.string(),
});

export type RenewResponse = z.infer<typeof renewResponseSchema>;

/**
 * `POST /channel`: the machine asks to follow another release channel (an installer run again
 * with `--channel`). Whoever holds the machine's key may already install any build on it.
 */
export const agentChannelRequestSchema = z.object({ channel: channelSchema }).strict();

export const agentChannelResponseSchema = z.object({
  status: z.literal('ok'),
  machine_id: z.string(),
  channel: channelSchema,
});
