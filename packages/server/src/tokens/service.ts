import type { Db } from '../db/database';
import type { TokenKind, TokenPlatform } from '../db/schema';
import type { ErrorCode } from '../errors';
import { newId } from '../ids';
import { generateTokenValue, hashToken } from './secret';
import { insertToken, type TokenRow } from './store';

export const COMMAND_TOKEN_DEFAULT_MINUTES = 15;
export const COMMAND_TOKEN_MAX_MINUTES = 60;
export const WINDOWS_INSTALLER_TOKEN_HOURS = 24;

export interface NewToken {
  clientId: string;
  createdBy: string;
  ttlMinutes: number;
  maxUsage: number;
  platform: TokenPlatform;
  kind: TokenKind;
}

export interface CreatedToken {
  row: TokenRow;
  /** The token itself: returned once, never stored. */
  value: string;
}

export async function createToken(db: Db, input: NewToken, now: Date): Promise<CreatedToken> {
  const value = generateTokenValue();
  const row: TokenRow = {
    id: newId(),
    client_id: input.clientId,
    token_hash: hashToken(value),
    kind: input.kind,
    platform: input.platform,
    max_usage: input.maxUsage,
    usage_count: 0,
    expires_at: new Date(now.getTime() + input.ttlMinutes * 60_000).toISOString(),
    created_at: now.toISOString(),
    created_by: input.createdBy,
    revoked_at: null,
    last_used_at: null,
  };
  await insertToken(db, row);
  return { row, value };
}

/** Why a token cannot enroll a machine of `platform` now, or undefined when it can. */
export function tokenRefusal(
  row: TokenRow | undefined,
  now: Date,
  platform: 'linux' | 'windows' | undefined,
): ErrorCode | undefined {
  if (!row) return 'token_invalid';
  if (row.revoked_at !== null) return 'token_revoked';
  if (row.expires_at <= now.toISOString()) return 'token_expired';
  if (row.max_usage !== 0 && row.usage_count >= row.max_usage) return 'token_exhausted';
  if (row.platform !== 'any' && platform !== undefined && row.platform !== platform) {
    return 'token_platform_mismatch';
  }
  return undefined;
}

/** Parses a TTL such as `15m`, `1h` or `900s` into minutes. */
export function parseTtlMinutes(text: string): number | undefined {
  const match = /^(\d{1,6})\s*(s|m|min|h)?$/i.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'm').toLowerCase();
  if (unit === 's') return amount / 60;
  if (unit === 'h') return amount * 60;
  return amount;
}

export function toPublicToken(row: TokenRow) {
  return {
    id: row.id,
    client_id: row.client_id,
    kind: row.kind,
    platform: row.platform,
    max_usage: row.max_usage,
    usage_count: row.usage_count,
    expires_at: row.expires_at,
    created_at: row.created_at,
    created_by: row.created_by,
    revoked_at: row.revoked_at,
    last_used_at: row.last_used_at,
  };
}
