import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Fields whose refusal has a code of its own on this route (next to `FIELD_CODES`). */
    fieldCodes?: Record<string, ErrorCode>;
  }
}

/** Fields whose refusal has a code of its own on every route, so scripts can tell them apart. */
const FIELD_CODES: Record<string, ErrorCode> = {
  hostname: 'invalid_hostname',
  arch: 'invalid_arch',
  csr: 'invalid_csr',
};

/** One problem of a refused input: where it is (`a.b.0`, '' for the whole) and what it is. */
export interface InputIssue {
  field: string;
  message: string;
}

/** The first problem of an input becomes a 400 naming the field, with the field's own code. */
export function inputError(
  issue: InputIssue | undefined,
  fieldCodes: Record<string, ErrorCode> = {},
): AppError {
  const field = issue?.field || undefined;
  const code = (field && (fieldCodes[field] ?? FIELD_CODES[field])) || 'validation_failed';
  const message = field
    ? `${field}: ${issue?.message ?? 'is not valid'}`
    : 'The request body must be a JSON object.';
  return new AppError(code, message, field);
}

/** The issue fastify-type-provider-zod reports (`instancePath` is `/a/b/0`). */
export function issueOfValidation(validation: unknown): InputIssue | undefined {
  const first = Array.isArray(validation) ? validation[0] : undefined;
  if (!first || typeof first !== 'object') return undefined;
  const { instancePath, message } = first as { instancePath?: unknown; message?: unknown };
  if (typeof instancePath !== 'string') return undefined;
  const field = instancePath.split('/').filter(Boolean).join('.');
  return { field, message: typeof message === 'string' ? message : 'is not valid' };
}

/** Validates input that is not a route's declared part (e.g. the scope of a shared guard). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw inputError(issue && { field: issue.path.map(String).join('.'), message: issue.message });
}

/**
 * Routes declare zod schemas; requests are checked with the type provider's validator (an absent
 * body reads as `{}`, so that all-optional bodies may be left out) and JSON answers go through
 * its serializer, so that the reference and the behaviour cannot drift apart. The error handler
 * turns a refusal into the catalogue's code with `inputError`.
 */
export function enforceSchemas(app: FastifyInstance): void {
  const validate: FastifySchemaCompiler<z.ZodType> = (route) => {
    const check = validatorCompiler(route);
    return route.httpPart === 'body' ? (data) => check(data ?? {}) : check;
  };
  app.setValidatorCompiler(validate);
  app.setSerializerCompiler(serializerCompiler);
}
