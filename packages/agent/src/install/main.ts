import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { AgentError } from '../errors';
import { readOwnPayload } from '../payload';
import { messageBoxCommand } from '../windows/message-box';
import { systemPlatform, type WindowsPlatform } from '../windows/platform';
import { EXIT } from './errors';
import { FlagError, INSTALLER_USAGE, type InstallerFlags, parseInstallerFlags } from './flags';
import { type ConsoleWriter, consoleWriter, createInstallLog } from './log';
import { defaultLogFile, runSilent } from './silent';

const INSTALLER_FLAG =
  /^--?(silent|url|with-lhm|mtls-cert|mtls-key|token-file|beta|log|progress-file|elevated)(=|$)/i;

/**
 * Whether a command line is the installer's: no arguments on Windows (a double-click), the
 * `install` or `uninstall` word, or one of the specification's single-dash flags. Everything
 * else (`run`, `enroll`, `version`…) stays with the agent's commands.
 */
export function isInstallerCommandLine(
  argv: readonly string[],
  platform = process.platform,
): boolean {
  const first = argv[0];
  if (first === undefined) return platform === 'win32';
  // `-help` is the installer's; `--help` and `-h` stay the agent's commands' help.
  return (
    first === 'install' || first === 'uninstall' || first === '-help' || INSTALLER_FLAG.test(first)
  );
}

export interface InstallerCommandDeps {
  /** Standard output by default. */
  print?: ConsoleWriter;
  /** This Windows by default (none elsewhere); the dry run in tests. */
  platform?: WindowsPlatform | undefined;
}

/**
 * Says something to whoever ran the command: on standard output, or in a message box when
 * nobody reads it (the installer is a GUI program, so from a cmd or PowerShell prompt its
 * output goes nowhere unless redirected).
 */
function teller(print: ConsoleWriter, platform: WindowsPlatform | undefined) {
  return (text: string, icon: 'Warning' | 'Information') => {
    if (print(text) || !platform) return;
    const box = messageBoxCommand(platform.paths, 'Optralis Agent', text, icon);
    platform.spawnDetached(box.file, box.args);
  };
}

/** The installer's entry point; returns the exit status. */
export async function runInstallerCommand(
  argv: readonly string[],
  deps: InstallerCommandDeps = {},
): Promise<number> {
  const print = deps.print ?? consoleWriter();
  const platform =
    'platform' in deps
      ? deps.platform
      : process.platform === 'win32'
        ? systemPlatform()
        : undefined;
  const tell = teller(print, platform);
  let flags: InstallerFlags;
  try {
    flags = parseInstallerFlags(argv);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    tell(
      `optralis-agent : ${error.message}\nLancez « optralis-agent.exe -help » pour l'aide.`,
      'Warning',
    );
    return 2;
  }
  if (flags.help) {
    tell(INSTALLER_USAGE, 'Information');
    return 0;
  }
  if (!platform) {
    print(
      "optralis-agent : l'installeur Windows ne fonctionne que sous Windows ; sous Linux, utilisez install.sh.",
    );
    return 2;
  }
  let payload: InstallerPayload | undefined;
  let damaged: string | undefined;
  try {
    payload = readOwnPayload();
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    damaged =
      'Cet installeur personnalisé est endommagé (téléchargement incomplet ou fichier modifié) : téléchargez-le à nouveau depuis le tableau de bord.';
  }
  if (flags.silent) {
    if (damaged) {
      createInstallLog({
        file: flags.log ?? defaultLogFile(platform, false),
        console: print,
      }).error(`${damaged} [payload_damaged]`);
      return EXIT.badCredentials;
    }
    return runSilent(flags, { platform, payload, console: print });
  }
  // Loaded only for the window: its page is imported as text, which the bundle and the tests
  // know how to load and plain `node --import tsx` (the agent run from source) does not.
  const { runGui } = await import('../gui/run');
  return runGui(flags, { platform, payload, startError: damaged });
}
