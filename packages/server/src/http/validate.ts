import type { z } from 'zod';
import { AppError, type ErrorCode } from '../errors';

/** Fields whose refusal has a code of its own, so scripts can tell them apart. */
const FIELD_CODES: Record<string, ErrorCode> = {
  hostname: 'invalid_hostname',
  arch: 'invalid_arch',
  csr: 'invalid_csr',
};

/** Validates untrusted input; the first problem becomes a 400 naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || undefined;
  const code = (field && FIELD_CODES[field]) || 'validation_failed';
  const message = field
    ? `${field}: ${issue?.message ?? 'is not valid'}`
    : 'The request body must be a JSON object.';
  throw new AppError(code, message, field);
}
