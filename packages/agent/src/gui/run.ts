import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import type { InstallerFlags } from '../install/flags';
import { consoleWriter } from '../install/log';
import { absolute, defaultLogFile } from '../install/silent';
import { appWindowArguments, findBrowser } from '../windows/browser';
import { systemTool } from '../windows/paths';
import type { WindowsPlatform } from '../windows/platform';
import { InstallerGui } from './controller';
import { startGuiServer } from './server';
import { elevatedTask, inProcessTask } from './task';

/** Without an app window to watch, the page stops polling when its tab is closed. */
const PAGE_GONE_MS = 30_000;
/** A page that never came (no browser could show it) ends the program after this long. */
const PAGE_NEVER_CAME_MS = 120_000;

/**
 * The graphical installer: its page on 127.0.0.1, shown in an Edge (or Chrome) app window with
 * a profile of its own; the default browser when neither is there. The program ends when the
 * window is closed or the page's "Fermer" is pressed, once any install in progress has ended,
 * with the install's exit status.
 */
export async function runGui(
  flags: InstallerFlags,
  deps: {
    platform: WindowsPlatform;
    payload?: InstallerPayload | undefined;
    /** Shown instead of the form: this installer cannot be used (a damaged payload). */
    startError?: string | undefined;
  },
): Promise<number> {
  const { platform } = deps;
  // The elevated copy that does the work starts in System32: it needs absolute paths.
  flags = absolute(platform, flags);
  const logFile = flags.log ? path.resolve(flags.log) : defaultLogFile(platform, flags.uninstall);
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
  let windowGone = false;
  try {
    const browser = findBrowser(process.env);
    let child: ReturnType<typeof spawn> | undefined;
    if (browser) {
      child = spawn(browser, appWindowArguments(server.entryUrl, profile), {
        stdio: 'ignore',
        windowsHide: false,
      });
      child.on('exit', () => {
        windowGone = true;
        gui.close();
      });
      child.on('error', () => {
        windowGone = true;
        gui.close();
      });
    } else {
      platform.spawnDetached(systemTool(platform.paths, 'rundll32.exe'), [
        'url.dll,FileProtocolHandler',
        server.entryUrl,
      ]);
    }
    void gui.start();
    const started = Date.now();
    const watcher = (async () => {
      while (!browser && !windowGone) {
        await sleep(2000);
        const seen = server.lastSeen();
        const gone =
          seen === undefined
            ? Date.now() - started > PAGE_NEVER_CAME_MS
            : Date.now() - seen > PAGE_GONE_MS;
        if (gone) {
          windowGone = true;
          gui.close();
        }
      }
    })();
    const code = await gui.closed;
    windowGone = true;
    await watcher;
    // "Fermer" in the page: the app window is ours alone (own profile), so it goes too.
    if (child && child.exitCode === null) child.kill();
    if (!browser && !server.lastSeen()) {
      consoleWriter()(
        "optralis-agent : aucun navigateur n'a ouvert l'installeur ; utilisez -silent.",
      );
    }
    return code;
  } finally {
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
