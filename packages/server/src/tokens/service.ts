import { COMMAND_TOKEN_TTL, MAX_USAGE_LIMIT } from '@optralis/protocol';
import { recordAudit } from '../audit/store';
import type { AppContext } from '../context';
import type { Db } from '../db/database';
import type { TokenKind, TokenPlatform } from '../db/schema';
import { AppError, type ErrorCode } from '../errors';
import { newId } from '../ids';
import { generateTokenValue, hashToken } from './secret';
import { findToken, insertToken, revokeToken, type TokenRow } from './store';

export const COMMAND_TOKEN_DEFAULT_MINUTES = COMMAND_TOKEN_TTL.default;
export const COMMAND_TOKEN_MAX_MINUTES = COMMAND_TOKEN_TTL.max;
/** Tokens baked into personalized installers (Windows mass deployment, Linux scripts). */
export const WINDOWS_INSTALLER_TOKEN_HOURS = 24;
export const INSTALLER_TOKEN_MINUTES = WINDOWS_INSTALLER_TOKEN_HOURS * 60;
export { MAX_USAGE_LIMIT };

/** An installer built for one platform makes tokens for that platform only. */
const DEFAULT_PLATFORM: Record<TokenKind, TokenPlatform> = {
  command: 'any',
  windows_installer: 'windows',
  linux_installer: 'linux',
};

export interface InstallTokenRequest {
  clientId: string;
  /** Who asks, for the token row and the audit trail: `user:<id>`, `cli`, … */
  createdBy: string;
  kind: TokenKind;
  platform?: TokenPlatform;
  /** Command tokens: 1 to 60, default 15. Installer tokens: 1 to 1440, default 1440 (24 h). */
  ttlMinutes?: number;
  /** Machines the token may enroll; 0 = unlimited; default 1. */
  maxUsage?: number;
}

/**
 * Mints an install token under the product's rules and records `token.created`. The one entry
 * point for every caller: the token API, the CLI and the personalized installers (which embed
 * the returned value). The value is returned once and only its SHA-256 is stored.
 */
export async function createInstallToken(
  ctx: Pick<AppContext, 'db' | 'clock'>,
  request: InstallTokenRequest,
): Promise<CreatedToken> {
  const isCommand = request.kind === 'command';
  const maxMinutes = isCommand ? COMMAND_TOKEN_MAX_MINUTES : INSTALLER_TOKEN_MINUTES;
  const ttlMinutes =
    request.ttlMinutes ?? (isCommand ? COMMAND_TOKEN_DEFAULT_MINUTES : INSTALLER_TOKEN_MINUTES);
  if (!Number.isFinite(ttlMinutes) || ttlMinutes < 1 || ttlMinutes > maxMinutes) {
    throw new AppError(
      'validation_failed',
      `ttl_minutes: must be from 1 to ${maxMinutes}`,
      'ttl_minutes',
    );
  }
  const maxUsage = request.maxUsage ?? 1;
  if (!Number.isInteger(maxUsage) || maxUsage < 0 || maxUsage > MAX_USAGE_LIMIT) {
    throw new AppError(
      'validation_failed',
      `max_usage: must be a whole number from 0 (unlimited) to ${MAX_USAGE_LIMIT}`,
      'max_usage',
    );
  }
  const platform = request.platform ?? DEFAULT_PLATFORM[request.kind];

  const now = ctx.clock();
  // The token and its `token.created` event commit together or not at all.
  return ctx.db.transaction().execute(async (trx) => {
    const made = await createToken(trx, { ...request, ttlMinutes, maxUsage, platform }, now);
    await recordAudit(
      trx,
      {
        clientId: request.clientId,
        actor: request.createdBy,
        action: 'token.created',
        subject: made.row.id,
        details: {
          kind: request.kind,
          platform,
          max_usage: maxUsage,
          expires_at: made.row.expires_at,
        },
      },
      now,
    );
    return made;
  });
}

/**
 * Revokes a token of `scope` (null = any client): new installs stop, machines already enrolled
 * keep their certificates. Unknown or another client's token: `not_found`. Idempotent.
 */
export async function revokeInstallToken(
  ctx: Pick<AppContext, 'db' | 'clock'>,
  id: string,
  scope: string | null,
  actor: string,
): Promise<TokenRow> {
  const row = await findToken(ctx.db, id, scope);
  if (!row) throw new AppError('not_found');
  const now = ctx.clock();
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await revokeToken(trx, id, row.client_id, now))) return;
    const event = { clientId: row.client_id, actor, action: 'token.revoked', subject: id };
    await recordAudit(trx, event, now);
  });
  return row;
}

/** Whether a token can still enroll a machine at `now`. */
export function isTokenActive(row: TokenRow, now: Date): boolean {
  return tokenRefusal(row, now, undefined) === undefined;
}

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

export function toListedToken(row: TokenRow, now: Date) {
  return { ...toPublicToken(row), active: isTokenActive(row, now) };
}
