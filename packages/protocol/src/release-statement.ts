import { z } from 'zod';
import { architectureSchema, channelSchema, platformSchema } from './platform';
import { semverSchema, sha256Schema } from './release-metadata';

/**
 * What the release key signs for one update offer. The agent trusts these fields only, never the
 * unsigned copies beside them in the heartbeat answer: an attacker on the path can change those.
 */
export const releaseStatementSchema = z
  .object({
    type: z.literal('optralis-release/v1'),
    version: semverSchema,
    channel: channelSchema,
    platform: platformSchema,
    architecture: architectureSchema,
    sha256: sha256Schema,
    size: z
      .number()
      .int()
      .min(1)
      .max(2 ** 40),
    url: z.string().max(2048).url(),
    issued_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    /**
     * The release catalogue's sequence when signed: it only grows (every change to the releases
     * raises it), so an agent refuses a statement older than one it has already seen.
     */
    sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .strict();

export type ReleaseStatement = z.infer<typeof releaseStatementSchema>;

/**
 * What the release key signs in every heartbeat answer, with or without an offer: the release
 * catalogue's current sequence. An agent remembers the highest it has seen and refuses offers
 * signed before it, so an offer of a release deactivated since is refused even by an agent that
 * never accepted an offer (TUF's "timestamp" role, reduced to one number).
 */
export const catalogueStatementSchema = z
  .object({
    type: z.literal('optralis-catalogue/v1'),
    sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    issued_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
  })
  .strict();

export type CatalogueStatement = z.infer<typeof catalogueStatementSchema>;

/** A statement as signed: its exact JSON text, the ed25519 signature (base64), the key's id. */
export const signedStatementSchema = z.object({
  statement: z.string().max(4096),
  signature: z.string().max(256),
  key_id: z.string().max(64),
});

export type SignedStatement = z.infer<typeof signedStatementSchema>;

/** The release key's public half, as the bootstrap answer gives it to agents. */
export const releaseKeyInfoSchema = z.object({
  algorithm: z.literal('ed25519'),
  /** SPKI PEM. */
  public_key: z.string().max(1024),
  /** First 16 hex digits of the SHA-256 of the SPKI DER: names the key in offers. */
  key_id: z.string().regex(/^[0-9a-f]{16}$/),
});

export type ReleaseKeyInfo = z.infer<typeof releaseKeyInfoSchema>;

/** The file in the agent's config directory that holds the trusted release key. */
export const RELEASE_KEY_FILE = 'release-key.json';
