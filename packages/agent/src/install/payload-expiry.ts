import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { EXIT, type InstallerError, installerError } from './errors';

/** 2026-12-04 14:00 UTC: the same text on every machine, whatever its time zone. */
function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Whether a personalized installer's token or certificate has expired (`expires_at` of its
 * config.json), as an error to report before anything else: before the UAC prompt, the OS
 * check's request and the form, so that an administrator is not asked to elevate a program
 * that cannot enroll. The server stays the judge of a token that has not expired yet.
 */
export function payloadExpired(
  payload: InstallerPayload | undefined,
  now: Date,
): InstallerError | undefined {
  const expiresAt = payload?.config.expires_at;
  if (!expiresAt) return undefined;
  const expires = new Date(expiresAt);
  if (expires.getTime() > now.getTime()) return undefined;
  const what =
    payload.config.mode === 'certificate'
      ? 'le certificat de cet installeur personnalisé a expiré'
      : 'le jeton de cet installeur personnalisé a expiré';
  return installerError(
    'payload_expired',
    `Installation impossible : ${what} le ${utcMinute(expires)}. Téléchargez un nouvel installeur depuis le tableau de bord.`,
    EXIT.badCredentials,
  );
}
