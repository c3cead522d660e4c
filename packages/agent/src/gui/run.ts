import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { EXIT } from '../install/errors';
import type { InstallerFlags } from '../install/flags';
import { consoleWriter, createInstallLog } from '../install/log';
import { absolute, defaultLogFile } from '../install/silent';
import { appWindowArguments, diskView, type FileView, findBrowser } from '../windows/browser';
import { messageBoxCommand } from '../windows/message-box';
import type { WindowsPlatform } from '../windows/platform';
import { InstallerGui } from './controller';
import { startGuiServer } from './server';
import { elevatedTask, inProcessTask } from './task';

export const NO_WINDOW_MESSAGE =
  "Aucun navigateur ne peut afficher l'installeur sur cette machine (ni Edge, ni Chrome, ni le runtime WebView2). Lancez-le en mode silencieux, en administrateur, par exemple :\n  optralis-agent.exe -silent\n  optralis-agent.exe -silent -url https://optralis.example.com -token-file jeton.txt\n(optralis-agent.exe -help pour les options).";

/**
 * No window can be shown: said at once in the log, on the console when there is one, and in a
 * Windows message box (a double-clicked GUI program has no console), with status 12.
 */
function noWindow(platform: WindowsPlatform, logFile: string): number {
  createInstallLog({ file: logFile, console: consoleWriter() }).error(
    `${NO_WINDOW_MESSAGE} [no_window]`,
  );
  const box = messageBoxCommand(platform.paths, 'Optralis Agent', NO_WINDOW_MESSAGE);
  platform.spawnDetached(box.file, box.args);
  return EXIT.noWindow;
}

/**
 * The graphical installer: its page on 127.0.0.1, shown in an Edge (or Chrome, or WebView2
 * runtime) app window with a profile of its own. Without any of them it says at once that
 * -silent is needed (status 12) rather than opening a page it could not watch. The program
 * ends when the window is closed or the page's "Fermer" is pressed, once any install in
 * progress has ended, with the install's exit status.
 */
export async function runGui(
  flags: InstallerFlags,
  deps: {
    platform: WindowsPlatform;
    payload?: InstallerPayload | undefined;
    /** Shown instead of the form: this installer cannot be used (a damaged payload). */
    startError?: string | undefined;
    /** Where the browsers are looked for (this machine's environment and disk by default). */
    env?: Record<string, string | undefined>;
    files?: FileView;
  },
): Promise<number> {
  const { platform } = deps;
  // The elevated copy that does the work starts in System32: it needs absolute paths.
  flags = absolute(platform, flags);
  const logFile = flags.log ? path.resolve(flags.log) : defaultLogFile(platform, flags.uninstall);
  const browser = findBrowser(deps.env ?? process.env, deps.files ?? diskView);
  if (!browser) return noWindow(platform, logFile);
  const task = (await platform.isAdministrator())
    ? inProcessTask(platform, logFile)
    : elevatedTask(platform, flags, logFile);
  const gui = new InstallerGui({
    platform,
    flags,
    payload: deps.payload,
    task,
    logFile,
    startError: deps.startError,
  });
  const server = await startGuiServer(gui);
  const profile = fs.mkdtempSync(path.join(platform.tempDir, 'optralis-window-'));
  try {
    const child = spawn(browser, appWindowArguments(server.entryUrl, profile), {
      stdio: 'ignore',
      windowsHide: false,
    });
    // A browser that cannot start, or ends before it ever loaded the page, showed nothing.
    let neverShown = false;
    const ended = () => {
      neverShown = server.lastSeen() === undefined;
      gui.close();
    };
    child.on('exit', ended);
    child.on('error', ended);
    void gui.start();
    const code = await gui.closed;
    // "Fermer" in the page: the app window is ours alone (own profile), so it goes too.
    if (child.exitCode === null) child.kill();
    if (neverShown && !gui.state.result) return noWindow(platform, logFile);
    return code;
  } finally {
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
