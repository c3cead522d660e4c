import fs from 'node:fs';
import path from 'node:path';
import { envValue } from './paths';

type Env = Record<string, string | undefined>;

/**
 * Where Edge (then Chrome) may be, most usual first: Edge is part of every supported Windows
 * client; servers may have Edge or Chrome installed per machine or per user.
 */
export function browserCandidates(env: Env): string[] {
  const roots = [
    envValue(env, 'ProgramFiles(x86)'),
    envValue(env, 'ProgramW6432') ?? envValue(env, 'ProgramFiles'),
    envValue(env, 'LOCALAPPDATA'),
  ].filter((root): root is string => Boolean(root));
  const apps = [
    'Microsoft\\Edge\\Application\\msedge.exe',
    'Google\\Chrome\\Application\\chrome.exe',
  ];
  return apps.flatMap((app) => roots.map((root) => path.win32.join(root, app)));
}

export function findBrowser(
  env: Env,
  exists: (file: string) => boolean = fs.existsSync,
): string | undefined {
  return browserCandidates(env).find((file) => exists(file));
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
