import { AgentError } from '../errors';

/**
 * The installer's exit statuses, stable for scripts and deployment tools (documented in the
 * README). 1223 is Windows' own ERROR_CANCELLED, which deployment tools already know.
 */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  unsupportedOs: 3,
  notAdministrator: 4,
  noCredentials: 5,
  badCredentials: 6,
  serverUnreachable: 7,
  enrollmentRefused: 8,
  busy: 9,
  installFailed: 10,
  serviceFailed: 11,
  /** No Edge, Chrome or WebView2 runtime to show the window in: -silent is needed. */
  noWindow: 12,
  cancelled: 1223,
} as const;

/** A failure of the installer: a stable code, a message in French for the person, a status. */
export class InstallerError extends AgentError {}

export function installerError(code: string, message: string, exitCode: number): InstallerError {
  return new InstallerError(code, message, exitCode);
}

/**
 * What enrollment failures become: enroll() speaks English with sysexits statuses; the
 * installer keeps the code and says it in French with its own statuses.
 */
export function fromEnrollmentError(error: unknown): InstallerError {
  if (error instanceof InstallerError) return error;
  if (!(error instanceof AgentError)) {
    return installerError(
      'unexpected',
      `Erreur inattendue : ${(error as Error).message}`,
      EXIT.unexpected,
    );
  }
  if (error.code === 'server_unreachable') {
    return installerError(
      error.code,
      `Serveur injoignable (${error.message}).`,
      EXIT.serverUnreachable,
    );
  }
  if (error.code === 'bad_response') {
    return installerError(
      error.code,
      `Réponse inattendue du serveur (${error.message}).`,
      EXIT.serverUnreachable,
    );
  }
  return installerError(
    error.code,
    `Inscription refusée par le serveur : ${error.message}. Demandez un nouveau jeton ou un nouvel installeur.`,
    EXIT.enrollmentRefused,
  );
}
