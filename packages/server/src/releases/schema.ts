import { PLATFORMS } from '@optralis/protocol';
import { z } from 'zod';
import type { ErrorCode } from '../errors';

export const listQuery = z
  .object({
    platform: z.enum(PLATFORMS).optional(),
    client_id: z.string().min(1).max(64).optional(),
  })
  .strict();

/** Each parameter of latest-version has a code of its own, for installers to branch on. */
export const LATEST_FIELD_CODES: Record<string, ErrorCode> = {
  channel: 'invalid_channel',
  platform: 'invalid_platform',
  architecture: 'invalid_arch',
};
