import { recordAudit } from '../audit/store';
import type { AppContext } from '../context';
import { AppError, type ErrorCode } from '../errors';
import { hashToken } from '../tokens/secret';
import { findTokenByHash, type TokenRow } from '../tokens/store';

export interface BootstrapMeta {
  sourceIp: string;
}

/**
 * Records why a bootstrap was refused (on the token's client, when the token is known) and
 * throws the refusal. Nothing was spent: refusals happen before or instead of the transaction.
 */
export async function refuse(
  ctx: AppContext,
  token: TokenRow | undefined,
  reason: ErrorCode,
  meta: BootstrapMeta,
  now: Date,
  error: AppError = new AppError(reason),
): Promise<never> {
  ctx.log.info({ reason, tokenId: token?.id, sourceIp: meta.sourceIp }, 'bootstrap refused');
  if (token) {
    await recordAudit(
      ctx.db,
      {
        clientId: token.client_id,
        actor: `token:${token.id}`,
        action: 'token.refused',
        subject: token.id,
        details: { reason, source_ip: meta.sourceIp },
      },
      now,
    );
  }
  throw error;
}

/** A request refused before it was read in full (bad field): audited on its token, if known. */
export async function refuseInvalidRequest(
  ctx: AppContext,
  tokenValue: unknown,
  error: AppError,
  meta: BootstrapMeta,
): Promise<never> {
  const token =
    typeof tokenValue === 'string' && tokenValue.length <= 256
      ? await findTokenByHash(ctx.db, hashToken(tokenValue))
      : undefined;
  return refuse(ctx, token, error.code, meta, ctx.clock(), error);
}
