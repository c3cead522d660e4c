import { z } from 'zod';

export const PLATFORMS = ['linux', 'windows'] as const;
export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export const CHANNELS = ['stable', 'beta'] as const;

export const platformSchema = z.enum(PLATFORMS);
export const architectureSchema = z.enum(ARCHITECTURES);
export const channelSchema = z.enum(CHANNELS, { error: 'must be stable or beta' });

export type Platform = z.infer<typeof platformSchema>;
export type Architecture = z.infer<typeof architectureSchema>;
export type Channel = z.infer<typeof channelSchema>;

const ARCH_ALIASES: Record<string, Architecture> = {
  amd64: 'amd64',
  x86_64: 'amd64',
  x64: 'amd64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/**
 * Maps what `uname -m`, Node's `process.arch` or Windows report to the two architectures that
 * Optralis ships. Anything else is `undefined`: the caller refuses it before downloading.
 */
export function normalizeArchitecture(value: string): Architecture | undefined {
  return ARCH_ALIASES[value.trim().toLowerCase()];
}

/** The architecture field of requests: accepts the aliases, yields the canonical name. */
export const architectureInputSchema = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const arch = normalizeArchitecture(value);
    if (!arch) {
      ctx.addIssue({ code: 'custom', message: 'must be amd64 (x86_64) or arm64 (aarch64)' });
      return z.NEVER;
    }
    return arch;
  });
