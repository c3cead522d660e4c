import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import {
  type Credentials,
  certificateFromFiles,
  credentialsFromPayload,
  fallbackZipBeside,
  readTokenFile,
} from './credentials';
import { EXIT, installerError } from './errors';
import type { InstallerFlags } from './flags';
import type { InstallRequest } from './installer';

/** Whether the payload's token or certificate is used: no flag or variable names another. */
export function payloadCredentialsInUse(
  flags: InstallerFlags,
  env: Record<string, string | undefined>,
): boolean {
  return !(flags.mtlsCert && flags.mtlsKey) && !flags.tokenFile && !env.OPTRALIS_TOKEN?.trim();
}

/**
 * What to install with, from the command line and the executable's payload. Explicit flags win
 * over the payload: `-mtls-cert`/`-mtls-key`, then `-token-file` (or OPTRALIS_TOKEN), then the
 * payload. The server is `-url`, else the payload's. A token file in the fallback ZIP's folder
 * brings the ZIP's CA and release key, pinned like a payload's. No credentials at all is not
 * an error here: a machine that is already enrolled is repaired with its own identity.
 */
export function installRequestFrom(
  flags: InstallerFlags,
  payload: InstallerPayload | undefined,
  env: Record<string, string | undefined> = process.env,
): InstallRequest {
  const serverUrl = flags.url ?? payload?.config.public_url;
  let credentials: Credentials | undefined;
  if (flags.mtlsCert && flags.mtlsKey) {
    credentials = certificateFromFiles(flags.mtlsCert, flags.mtlsKey);
  } else if (flags.tokenFile || env.OPTRALIS_TOKEN?.trim()) {
    if (!serverUrl) {
      throw installerError('url_missing', "Donnez l'adresse du serveur avec -url.", EXIT.usage);
    }
    const token = flags.tokenFile
      ? readTokenFile(flags.tokenFile)
      : (env.OPTRALIS_TOKEN as string).trim();
    credentials = {
      kind: 'token',
      token,
      serverUrl,
      source: flags.tokenFile ? (flags.tokenFile === '-' ? 'stdin' : 'file') : 'environment',
      payload: flags.tokenFile ? fallbackZipBeside(flags.tokenFile, token, serverUrl) : undefined,
    };
  } else if (payload) {
    credentials = credentialsFromPayload(payload);
  }
  if (flags.beta && credentials?.kind === 'certificate') {
    // A certificate was issued for a machine the server already has, on the channel it has:
    // nothing the installer sends could move it, so -beta is refused rather than ignored.
    throw installerError(
      'beta_with_certificate',
      "-beta ne s'applique pas à une installation par certificat : la machine existe déjà sur le serveur, changez son canal dans le tableau de bord (Machines → Canal).",
      EXIT.usage,
    );
  }
  const channel = flags.beta ? 'beta' : (payload?.config.channel ?? 'stable');
  return { credentials, serverUrl, channel, withLhm: flags.withLhm };
}

/** The flags that carry an install request to the elevated copy (the token through a file). */
export function elevatedArguments(
  flags: InstallerFlags,
  extra: {
    tokenFile?: string | undefined;
    progressFile?: string | undefined;
    log?: string | undefined;
  },
): string[] {
  const args: string[] = flags.uninstall
    ? ['uninstall', '-silent', '-elevated']
    : ['-silent', '-elevated'];
  if (!flags.uninstall) {
    if (flags.url) args.push('-url', flags.url);
    if (flags.mtlsCert && flags.mtlsKey) {
      args.push('-mtls-cert', flags.mtlsCert, '-mtls-key', flags.mtlsKey);
    }
    const tokenFile = extra.tokenFile ?? (flags.tokenFile !== '-' ? flags.tokenFile : undefined);
    if (tokenFile) args.push('-token-file', tokenFile);
    if (flags.withLhm) args.push('-with-lhm');
    if (flags.beta) args.push('-beta');
  }
  const log = extra.log ?? flags.log;
  if (log) args.push('-log', log);
  const progress = extra.progressFile ?? flags.progressFile;
  if (progress) args.push('-progress-file', progress);
  return args;
}
