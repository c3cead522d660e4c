import { z } from 'zod';

/** Control characters (C0, DEL, C1) never belong in names, ids or versions. */
const CONTROL_CHARACTERS = /\p{Cc}/u;

/**
 * Half of a UTF-16 surrogate pair on its own: JSON can carry it, but no store can keep it (it has
 * no UTF-8 form), so the value read back would differ from the one sent.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A bounded string without control characters. */
export function plainText(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters')
    .refine((value) => !LONE_SURROGATE.test(value), 'must be valid Unicode text');
}

/**
 * Invisible format characters (bidirectional overrides, zero-width spaces, byte order marks) and
 * line or paragraph separators: in a host name they only serve to make one machine look like
 * another in a list.
 */
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A machine's host name as the machine reports it. Windows and Linux accept more than RFC 1123
 * allows (underscores, non-ASCII), so anything printable up to the DNS limit of 253 characters is
 * kept exactly; surrounding spaces are refused rather than silently trimmed, and so are invisible
 * characters.
 */
export const hostnameSchema = plainText(253)
  .refine(
    (value) => value.trim() === value && value.trim().length > 0,
    'must not start or end with spaces',
  )
  .refine(
    (value) => !INVISIBLE_CHARACTERS.test(value),
    'must not contain invisible or direction-changing characters',
  );

/** A PEM block of bounded size (certificates, requests, keys). */
export const pemSchema = z
  .string()
  .max(16_384, 'must be at most 16384 characters')
  .regex(/^-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----\s*$/, 'must be a PEM block');
