/**
 * The error catalogue: every refusal either API can send, with its stable code and HTTP status.
 * Messages are written for the caller and never contain a secret (token, key, password).
 */
export const ERROR_CATALOGUE = {
  validation_failed: { status: 400, message: 'The request is not valid.' },
  invalid_hostname: { status: 400, message: 'The host name is not valid.' },
  invalid_arch: { status: 400, message: 'The architecture is not supported.' },
  invalid_channel: { status: 400, message: 'The channel must be stable or beta.' },
  invalid_platform: { status: 400, message: 'The platform must be windows or linux.' },
  invalid_csr: { status: 400, message: 'The certificate signing request is not valid.' },
  token_invalid: { status: 403, message: 'The install token is not valid.' },
  token_expired: { status: 403, message: 'The install token has expired.' },
  token_revoked: { status: 403, message: 'The install token has been revoked.' },
  token_exhausted: { status: 403, message: 'The install token has no uses left.' },
  token_platform_mismatch: {
    status: 403,
    message: 'The install token is not valid for this platform.',
  },
  clone_suspected: {
    status: 409,
    message:
      'Another active machine of this client has the same hardware id under a different host ' +
      'name; revoke it first if this machine replaces it.',
  },
  ca_unknown: {
    status: 409,
    message:
      'This server does not trust the certificate authority the installer was made for; ' +
      'download a new installer.',
  },
  release_exists: {
    status: 409,
    message: 'A version with this version, channel, platform and architecture already exists.',
  },
  release_file_mismatch: {
    status: 409,
    message:
      'The download URL points to this server’s downloads, but the file there is missing or ' +
      'does not have the given size or SHA-256.',
  },
  email_taken: { status: 409, message: 'A user with this email already exists.' },
  unauthorized: { status: 401, message: 'Sign in first.' },
  login_failed: { status: 401, message: 'The email or the password is wrong.' },
  forbidden: { status: 403, message: 'Your role does not allow this action.' },
  not_found: { status: 404, message: 'Not found.' },
  no_release: {
    status: 404,
    message: 'No active release for this channel, platform and architecture.',
  },
  range_not_satisfiable: {
    status: 416,
    message: 'The requested byte range is outside the file.',
  },
  precondition_failed: {
    status: 412,
    message: 'The file changed since the version the request was conditional on.',
  },
  rate_limited: { status: 429, message: 'Too many requests; wait and try again.' },
  client_certificate_required: {
    status: 401,
    message: 'A client certificate issued by the Optralis CA is required.',
  },
  client_certificate_invalid: {
    status: 401,
    message: 'The client certificate was not issued by the Optralis CA.',
  },
  client_certificate_expired: { status: 401, message: 'The client certificate has expired.' },
  certificate_revoked: { status: 403, message: 'This certificate has been revoked.' },
  machine_revoked: { status: 403, message: 'This machine has been revoked.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body encoding is not supported.' },
  invalid_body: { status: 400, message: 'The request body could not be read.' },
  internal_error: { status: 500, message: 'Something went wrong on the server.' },
  windows_build_unavailable: {
    status: 503,
    message:
      'No Windows build is published in the stable channel, so no Windows installer can be ' +
      'made; publish one first.',
  },
  dashboard_unavailable: {
    status: 503,
    message: 'The dashboard is not built on this server; run npm run build.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An expected refusal: the handler turns it into `{ error: { code, message }, requestId }`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message?: string, field?: string) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.field = field;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
