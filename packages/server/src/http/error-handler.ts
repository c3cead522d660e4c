import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CATALOGUE, type ErrorCode } from '../errors';
import { inputError, issueOfValidation } from './validate';

declare module 'fastify' {
  interface FastifyRequest {
    /** The stable code of the refusal sent for this request, for metrics and logs. */
    errorCode?: string;
  }
}

/** Fastify's own refusals, mapped onto the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_body',
  FST_ERR_RATE_LIMIT_EXCEEDED: 'rate_limited',
};

function toAppError(error: FastifyError | Error, request: FastifyRequest): AppError | undefined {
  if (error instanceof AppError) return error;
  const validation = (error as FastifyError).validation;
  if (validation) {
    return inputError(issueOfValidation(validation), request.routeOptions.config.fieldCodes);
  }
  const fastifyCode = (error as FastifyError).code;
  const mapped = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
  if (mapped) return new AppError(mapped);
  if (error instanceof SyntaxError && (error as FastifyError).statusCode === 400) {
    return new AppError('invalid_body', 'The request body is not valid JSON.');
  }
  const status = (error as FastifyError).statusCode;
  if (status === 429) return new AppError('rate_limited');
  if (status === 413) return new AppError('payload_too_large');
  if (status === 415) return new AppError('unsupported_media_type');
  if (status !== undefined && status >= 400 && status < 500) return new AppError('invalid_body');
  return undefined;
}

/** One response shape for both listeners: `{ error: { code, message, field? }, requestId }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = toAppError(error, request);
    request.errorCode = known?.code ?? 'internal_error';
    if (!known) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(500).send(errorBody('internal_error', undefined, request.id));
    }
    request.log.info({ code: known.code, field: known.field }, 'request refused');
    if (known.code === 'rate_limited' && !reply.getHeader('retry-after')) {
      reply.header('retry-after', '60');
    }
    return reply.status(known.status).send(errorBody(known.code, known, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    request.errorCode = 'not_found';
    reply.status(404).send(errorBody('not_found', undefined, request.id));
  });
}

export function errorBody(code: ErrorCode, error: AppError | undefined, requestId: string) {
  return {
    error: {
      code,
      message: error?.message ?? ERROR_CATALOGUE[code].message,
      ...(error?.field ? { field: error.field } : {}),
    },
    requestId,
  };
}
