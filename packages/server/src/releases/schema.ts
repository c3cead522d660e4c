import { latestVersionQuerySchema, PLATFORMS } from '@optralis/protocol';
import { z } from 'zod';
import { AppError, type ErrorCode } from '../errors';
import { parseInput } from '../http/validate';

export const idParams = z.object({ id: z.string().min(1).max(64) });

export const listQuery = z
  .object({
    platform: z.enum(PLATFORMS).optional(),
    client_id: z.string().min(1).max(64).optional(),
  })
  .strict();

export const scopeQuery = z.looseObject({ client_id: z.string().min(1).max(64).optional() });

/** Each parameter of latest-version has a code of its own, for installers to branch on. */
const LATEST_FIELD_CODES: Record<string, ErrorCode> = {
  channel: 'invalid_channel',
  platform: 'invalid_platform',
  architecture: 'invalid_arch',
};

export function parseLatestQuery(query: unknown) {
  try {
    return parseInput(latestVersionQuerySchema, query);
  } catch (error) {
    const code = error instanceof AppError && error.field && LATEST_FIELD_CODES[error.field];
    if (!code || !(error instanceof AppError)) throw error;
    throw new AppError(code, error.message, error.field);
  }
}
