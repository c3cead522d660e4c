import { z } from 'zod';
import { architectureInputSchema, channelSchema, platformSchema } from './platform';
import { releaseKeyInfoSchema } from './release-statement';
import { hostnameSchema, pemSchema, plainText } from './text';

/** `POST /api/public/bootstrap`: a machine trades an install token for its certificate. */
export const bootstrapRequestSchema = z.object({
  token: plainText(256),
  hostname: hostnameSchema,
  hardware_id: plainText(128).optional(),
  arch: architectureInputSchema.optional(),
  platform: platformSchema.optional(),
  /** PKCS#10 request made on the machine; without it the server makes the key (legacy contract). */
  csr: pemSchema.optional(),
  /** The release channel the machine follows (`-beta` of the Windows installer); stable when absent. */
  channel: channelSchema.optional(),
  /**
   * SHA-256 (of the DER) of the CA a personalized installer carries: the server refuses before
   * the token is spent when it does not trust that CA (it was replaced since the download).
   */
  ca_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lowercase hex')
    .optional(),
});

export type BootstrapRequest = z.infer<typeof bootstrapRequestSchema>;
export type BootstrapRequestInput = z.input<typeof bootstrapRequestSchema>;

export const bootstrapResponseSchema = z.object({
  client_id: z.string(),
  machine_id: z.string(),
  certificate: z.string(),
  /** Only when the request carried no CSR: the key the server made, returned this once. */
  private_key: z.string().optional(),
  ca_cert: z.string(),
  api_url: z.string(),
  public_url: z.string(),
  binary_url: z.string().nullable(),
  channel: z.string(),
  /** The key that signs update offers; the agent keeps it to verify them. */
  release_key: releaseKeyInfoSchema.optional(),
});

export type BootstrapResponse = z.infer<typeof bootstrapResponseSchema>;
