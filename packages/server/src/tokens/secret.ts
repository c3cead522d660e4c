import { createHash, randomBytes } from 'node:crypto';

/** Install tokens carry 256 random bits; only their SHA-256 is stored. */
export function generateTokenValue(): string {
  return `opt_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
