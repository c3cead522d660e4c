/**
 * The installer's command line, in the specification's single-dash form (`-silent -url URL`),
 * parsed the way Go's flag package does: `-flag`, `--flag`, `-flag=value` and `-flag value`;
 * parsing stops at the first argument that is not a flag. No flag takes a secret: the token
 * comes from the payload, a file or standard input, never from the command line that every
 * user of the machine can read.
 */
export interface InstallerFlags {
  uninstall: boolean;
  silent: boolean;
  url?: string | undefined;
  withLhm: boolean;
  mtlsCert?: string | undefined;
  mtlsKey?: string | undefined;
  tokenFile?: string | undefined;
  beta: boolean;
  help: boolean;
  log?: string | undefined;
  /** Where the elevated installer reports its steps (the GUI and install.ps1 read it). */
  progressFile?: string | undefined;
  /** Set on the copy started through UAC, so that it never asks again. */
  elevated: boolean;
}

const BOOLEAN = {
  silent: 'silent',
  'with-lhm': 'withLhm',
  beta: 'beta',
  help: 'help',
  h: 'help',
  elevated: 'elevated',
} as const;
const VALUED = {
  url: 'url',
  'mtls-cert': 'mtlsCert',
  'mtls-key': 'mtlsKey',
  'token-file': 'tokenFile',
  log: 'log',
  'progress-file': 'progressFile',
} as const;

export class FlagError extends Error {}

/** Flags named like secrets, refused with a pointer to the safe way. */
const SECRET_FLAGS = new Set(['key', 'token', 'api-key', 'password']);

function parseBoolean(name: string, value: string): boolean {
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw new FlagError(`valeur invalide « ${value} » pour -${name} (true ou false)`);
}

export function parseInstallerFlags(argv: readonly string[]): InstallerFlags {
  const flags: InstallerFlags = {
    uninstall: false,
    silent: false,
    withLhm: false,
    beta: false,
    help: false,
    elevated: false,
  };
  const args = [...argv];
  if (args[0] === 'uninstall' || args[0] === 'install') {
    flags.uninstall = args.shift() === 'uninstall';
  }
  while (args.length > 0) {
    const arg = args[0] as string;
    if (arg === '--') {
      args.shift();
      break;
    }
    const match = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/is.exec(arg);
    if (!match) break;
    args.shift();
    const name = (match[1] as string).toLowerCase();
    const inline = match[2];
    if (name in BOOLEAN) {
      const key = BOOLEAN[name as keyof typeof BOOLEAN];
      flags[key] = inline === undefined ? true : parseBoolean(name, inline);
      continue;
    }
    if (name in VALUED) {
      const value = inline ?? args.shift();
      if (value === undefined || value === '') throw new FlagError(`-${name} demande une valeur`);
      flags[VALUED[name as keyof typeof VALUED]] = value;
      continue;
    }
    if (SECRET_FLAGS.has(name)) {
      throw new FlagError(
        `-${name} n'existe pas : un secret sur la ligne de commande est visible de tous les utilisateurs. Utilisez -token-file FICHIER (ou - pour l'entrée standard) ou l'installeur personnalisé.`,
      );
    }
    throw new FlagError(`option inconnue : ${arg}`);
  }
  if (args.length > 0) throw new FlagError(`argument inattendu : ${args[0]}`);
  if (Boolean(flags.mtlsCert) !== Boolean(flags.mtlsKey)) {
    throw new FlagError('-mtls-cert et -mtls-key vont ensemble');
  }
  if (flags.mtlsCert && flags.tokenFile) {
    throw new FlagError(
      'donnez un certificat (-mtls-cert/-mtls-key) ou un jeton (-token-file), pas les deux',
    );
  }
  if (flags.url !== undefined) flags.url = checkUrl(flags.url);
  if (flags.uninstall && (flags.mtlsCert || flags.tokenFile || flags.withLhm || flags.url)) {
    throw new FlagError('uninstall ne prend que -silent et -log');
  }
  return flags;
}

function checkUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FlagError(
      `-url : « ${value} » n'est pas une adresse (exemple : https://optralis.example.com)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new FlagError('-url doit commencer par https://');
  if (url.username || url.password) throw new FlagError("-url ne doit pas contenir d'identifiants");
  return value.replace(/\/+$/, '');
}

/** `-help`: what an administrator needs, in French like the rest of the installer. */
export const INSTALLER_USAGE = `Optralis Agent - installation et désinstallation sous Windows

Usage :
  optralis-agent.exe                     interface graphique (double-clic)
  optralis-agent.exe -silent [options]   installation silencieuse
  optralis-agent.exe uninstall [-silent] désinstallation

Options :
  -silent             installer sans interface (journal et code de sortie)
  -url URL            adresse publique du serveur Optralis (celle du tableau de bord)
  -token-file FICHIER lire le jeton d'installation dans FICHIER (- : entrée standard)
  -mtls-cert FICHIER  certificat mTLS de la machine (avec -mtls-key ; config.json, ca.crt et
                      release-key.json sont lus à côté)
  -mtls-key FICHIER   clé privée de ce certificat
  -with-lhm           installer aussi le driver de température CPU (LHM)
  -beta               suivre le canal beta (pas avec un certificat : canal choisi dans le
                      tableau de bord)
  -log FICHIER        journal (défaut : %TEMP%\\optralis-agent-install.log)
  -help               cette aide

L'installeur personnalisé téléchargé depuis le tableau de bord contient déjà le serveur et le
jeton : « optralis-agent-XXXX.exe -silent » suffit. Aucune option ne prend de secret.

Depuis une invite PowerShell ou cmd, l'installeur (un programme graphique, même avec
-silent) rend la main tout de suite, avant d'avoir fini. Pour attendre la fin et obtenir le
code de sortie dans un script, lancez-le avec Start-Process -Wait -PassThru et lisez .ExitCode :
  $p = Start-Process .\\optralis-agent.exe -ArgumentList '-silent' -Wait -PassThru
  exit $p.ExitCode

Codes de sortie : 0 installé, 2 usage, 3 Windows non pris en charge, 4 droits administrateur
requis, 5 aucun jeton ni certificat, 6 jeton ou certificat illisible ou expiré, 7 serveur
injoignable, 8 inscription refusée, 9 autre installation en cours, 10 copie ou configuration
impossible, 11 service non créé ou non démarré, 12 aucun navigateur pour la fenêtre (utilisez
-silent), 1223 annulé.

Autres commandes : version, identity, enroll, run (voir « optralis-agent.exe --help »).
`;
