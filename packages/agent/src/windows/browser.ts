import fs from 'node:fs';
import path from 'node:path';
import { envValue } from './paths';

type Env = Record<string, string | undefined>;

/** What the lookup reads of the disk (a recorded layout in tests). */
export interface FileView {
  exists(file: string): boolean;
  /** The names in a folder; empty when it cannot be read. */
  list(dir: string): string[];
}

export const diskView: FileView = {
  exists: (file) => fs.existsSync(file),
  list: (dir) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
};

function programRoots(env: Env): string[] {
  return [
    envValue(env, 'ProgramFiles(x86)'),
    envValue(env, 'ProgramW6432') ?? envValue(env, 'ProgramFiles'),
    envValue(env, 'LOCALAPPDATA'),
  ].filter((root): root is string => Boolean(root));
}

/**
 * Where Edge (then Chrome) may be, most usual first: Edge is part of every supported Windows
 * client; servers may have Edge or Chrome installed per machine or per user.
 */
export function browserCandidates(env: Env): string[] {
  const apps = [
    'Microsoft\\Edge\\Application\\msedge.exe',
    'Google\\Chrome\\Application\\chrome.exe',
  ];
  const roots = programRoots(env);
  return apps.flatMap((app) => roots.map((root) => path.win32.join(root, app)));
}

const VERSION_DIR = /^\d+(\.\d+){3}$/;

function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 4; i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * The WebView2 runtime's engine, newest version first: Windows Server without Edge often has
 * it (installed with Windows 11 and with the first program that embeds WebView2). It lives in
 * a folder named after its version: `EdgeWebView\Application\<version>\msedgewebview2.exe`.
 */
export function webViewCandidates(env: Env, files: FileView): string[] {
  return programRoots(env).flatMap((root) => {
    const application = path.win32.join(root, 'Microsoft\\EdgeWebView\\Application');
    return files
      .list(application)
      .filter((name) => VERSION_DIR.test(name))
      .sort(compareVersions)
      .reverse()
      .map((version) => path.win32.join(application, version, 'msedgewebview2.exe'));
  });
}

/** Edge, then Chrome, then the WebView2 runtime; undefined when none is there. */
export function findBrowser(env: Env, files: FileView = diskView): string | undefined {
  const candidates = [...browserCandidates(env), ...webViewCandidates(env, files)];
  return candidates.find((file) => files.exists(file));
}

/**
 * An app window (no tabs, no address bar) on the installer's page, in a profile of its own:
 * with its own profile the browser process is this window's alone, so its exit says the window
 * was closed. Nothing is synced, no first-run page, nothing fetched in the background.
 */
export function appWindowArguments(url: string, profileDir: string): string[] {
  return [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    '--window-size=760,820',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-sync',
    '--disable-extensions',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-features=Translate,msEdgeSidebarV2,msHubApps',
  ];
}
