import fastJson from 'fast-json-stringify';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
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

/**
 * The issue to report for a zod issue at `path`: a field the schema does not know is named itself,
 * rather than leaving the whole body to blame.
 */
function issueAt(path: string[], code: unknown, message: unknown, keys: unknown): InputIssue {
  if (code === 'unrecognized_keys' && Array.isArray(keys) && keys.length > 0) {
    const names = keys.map(String);
    const others = names.length > 1 ? ` (nor ${names.slice(1).join(', ')})` : '';
    return { field: [...path, names[0]].join('.'), message: `is not a known field${others}` };
  }
  return { field: path.join('.'), message: typeof message === 'string' ? message : 'is not valid' };
}

/** The issue fastify-type-provider-zod reports (`instancePath` is `/a/b/0`). */
export function issueOfValidation(validation: unknown): InputIssue | undefined {
  const first = Array.isArray(validation) ? validation[0] : undefined;
  if (!first || typeof first !== 'object') return undefined;
  const { instancePath, message, keyword, params } = first as {
    instancePath?: unknown;
    message?: unknown;
    keyword?: unknown;
    params?: { keys?: unknown };
  };
  if (typeof instancePath !== 'string') return undefined;
  return issueAt(instancePath.split('/').filter(Boolean), keyword, message, params?.keys);
}

/** Validates input that is not a route's declared part (e.g. the scope of a shared guard). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw inputError(
    issue &&
      issueAt(
        issue.path.map(String),
        issue.code,
        issue.message,
        'keys' in issue ? issue.keys : undefined,
      ),
  );
}

/**
 * Answers are written by a serializer compiled from the JSON Schema of the route's zod schema
 * (fast-json-stringify): it writes the declared fields only and refuses an answer that lacks a
 * required one, at a fraction of the cost of encoding through zod first, which took about a
 * tenth of the server time of a heartbeat. A schema JSON Schema cannot express (a transform) is
 * encoded through zod as before.
 */
export const answerSerializer: FastifySerializerCompiler<z.ZodType> = (route) => {
  let jsonSchema: unknown;
  try {
    jsonSchema = z.toJSONSchema(route.schema, { io: 'output', target: 'draft-7' });
  } catch {
    return serializerCompiler(route);
  }
  return fastJson(jsonSchema as Parameters<typeof fastJson>[0]);
};

/**
 * Routes declare zod schemas; requests are checked with the type provider's validator (an absent
 * body reads as `{}`, so that all-optional bodies may be left out) and JSON answers are written
 * from the same schemas (`answerSerializer`), so that the reference and the behaviour cannot
 * drift apart. The error handler turns a refusal into the catalogue's code with `inputError`.
 */
export function enforceSchemas(app: FastifyInstance): void {
  const validate: FastifySchemaCompiler<z.ZodType> = (route) => {
    const check = validatorCompiler(route);
    return route.httpPart === 'body' ? (data) => check(data ?? {}) : check;
  };
  app.setValidatorCompiler(validate);
  app.setSerializerCompiler(answerSerializer);
}
