import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { withFileLock } from './lock';
import { REPO_ROOT } from './paths';

/**
 * Debian's Chromium, headless. Without the networking flags it tries to reach Google's services
 * at every start, and this machine's closed network refuses those connections. Playwright gives
 * every launch a new, empty profile directory of its own.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.OPTRALIS_TEST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const DASHBOARD = path.join(REPO_ROOT, 'packages/dashboard');
const BUILT_PAGE = path.join(DASHBOARD, 'dist/index.html');

function newestSource(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(entry).map((name) => newestSource(path.join(entry, name))));
}

/**
 * The dashboard as `npm run build` makes it. The test suite builds it first; a test file run on
 * its own builds it here when the build is missing or older than its sources.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  await withFileLock(path.join(DASHBOARD, '.build.lock'), async () => {
    const sources = ['src', 'public', 'index.html', 'vite.config.ts'].map((name) =>
      newestSource(path.join(DASHBOARD, name)),
    );
    const built = fs.statSync(BUILT_PAGE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (built >= Math.max(...sources)) return;
    const result = spawnSync(process.execPath, ['scripts/build-dashboard.mjs'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`the dashboard build failed:\n${result.stdout}\n${result.stderr}`);
    }
  });
}

/** Screenshots of the browser tests, for people to look at: test-results/ (not committed). */
export function screenshotDir(name: string): string {
  const dir = path.join(REPO_ROOT, 'test-results', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const AXE_SOURCE = fs.readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

export interface Violation {
  rule: string;
  impact: string | null | undefined;
  targets: string[];
}

/**
 * What axe-core finds against WCAG 2.1 A and AA and its best practices on the page as it is
 * now (open dialogs included). Evaluated through the DevTools protocol, so the page's content
 * security policy stays on.
 */
export async function accessibilityViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const { axe } = window as unknown as { axe: typeof import('axe-core') };
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
      resultTypes: ['violations'],
    });
    return result.violations.map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
}
