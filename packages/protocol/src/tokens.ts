import { z } from 'zod';

export const TOKEN_PLATFORMS = ['any', 'linux', 'windows'] as const;
export const TOKEN_KINDS = ['command', 'windows_installer', 'linux_installer'] as const;
export const COMMAND_TOKEN_TTL = { default: 15, min: 1, max: 60 } as const;
/** Upper bound of `max_usage`, so that a typo cannot make a token for millions of machines. */
export const MAX_USAGE_LIMIT = 100_000;

export const tokenPlatformSchema = z.enum(TOKEN_PLATFORMS);
export const tokenKindSchema = z.enum(TOKEN_KINDS);

/** `POST /api/install-tokens`: a command-line token (`curl … | sh`, PowerShell one-liner). */
export const createInstallTokenRequestSchema = z
  .object({
    platform: tokenPlatformSchema.default('any'),
    ttl_minutes: z
      .number()
      .int()
      .min(COMMAND_TOKEN_TTL.min)
      .max(COMMAND_TOKEN_TTL.max)
      .default(COMMAND_TOKEN_TTL.default),
    /** 0 = unlimited. */
    max_usage: z.number().int().min(0).max(MAX_USAGE_LIMIT).default(1),
  })
  .strict();

/** The answer to a creation: the only time the token value is shown. */
export const createdInstallTokenSchema = z.object({
  id: z.string(),
  token: z.string(),
  expires_at: z.string(),
  max_usage: z.number(),
  usage_count: z.number(),
  platform: tokenPlatformSchema,
  kind: tokenKindSchema,
});

export const installTokenSchema = z.object({
  id: z.string(),
  client_id: z.string(),
  kind: tokenKindSchema,
  platform: tokenPlatformSchema,
  max_usage: z.number(),
  usage_count: z.number(),
  expires_at: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  /** Not revoked, not expired, uses left: it can still enroll a machine. */
  active: z.boolean(),
});

export const listInstallTokensResponseSchema = z.object({ tokens: z.array(installTokenSchema) });

/** `GET /api/install-tokens/windows/active`: the "X/N machines installées" progress. */
export const activeWindowsTokenResponseSchema = z.object({
  token: z
    .object({
      id: z.string(),
      usage_count: z.number(),
      max_usage: z.number(),
      expires_at: z.string(),
    })
    .nullable(),
});

export type CreateInstallTokenRequest = z.input<typeof createInstallTokenRequestSchema>;
export type CreatedInstallToken = z.infer<typeof createdInstallTokenSchema>;
export type InstallToken = z.infer<typeof installTokenSchema>;
export type ActiveWindowsTokenResponse = z.infer<typeof activeWindowsTokenResponseSchema>;
