import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appWindowArguments, browserCandidates, type FileView, findBrowser } from './browser';

/**
 * A disk as `dir /s /b` lists it (one full path a line, folders included), in the layouts Edge,
 * Chrome and the WebView2 runtime install: names compared without case, as Windows does.
 */
function layout(name: string): FileView {
  const text = fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
  const entries = text.split(/\r?\n/).filter(Boolean);
  const known = new Set(entries.map((entry) => entry.toLowerCase()));
  return {
    exists: (file) => known.has(file.toLowerCase()),
    list: (dir) =>
      entries
        .filter((entry) => path.win32.dirname(entry).toLowerCase() === dir.toLowerCase())
        .map((entry) => path.win32.basename(entry)),
  };
}

const ENV = {
  'ProgramFiles(x86)': 'C:\\Program Files (x86)',
  ProgramW6432: 'C:\\Program Files',
  LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local',
};

describe('the browser that shows the installer window', () => {
  it('looks for Edge first, then Chrome, machine-wide then per user', () => {
    expect(browserCandidates(ENV)).toEqual([
      'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
      'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe',
      'C:\\Users\\ana\\AppData\\Local\\Microsoft\\Edge\\Application\\msedge.exe',
      'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      'C:\\Users\\ana\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe',
    ]);
    const chrome = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
    expect(findBrowser(ENV, { exists: (file) => file === chrome, list: () => [] })).toBe(chrome);
  });

  it('is Edge on Windows 11, even with the WebView2 runtime beside it', () => {
    expect(findBrowser(ENV, layout('browsers-windows11-edge.txt'))).toBe(
      'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    );
  });

  it('is the newest WebView2 runtime on a server without Edge or Chrome', () => {
    expect(findBrowser(ENV, layout('browsers-server2022-webview2-only.txt'))).toBe(
      'C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\131.0.2903.112\\msedgewebview2.exe',
    );
  });

  it('is none on a server with Internet Explorer only', () => {
    expect(findBrowser(ENV, layout('browsers-server2019-none.txt'))).toBeUndefined();
  });

  it('opens an app window in a profile of its own', () => {
    const args = appWindowArguments('http://127.0.0.1:5000/?k=s', 'C:\\Temp\\optralis-window-1');
    expect(args.slice(0, 2)).toEqual([
      '--app=http://127.0.0.1:5000/?k=s',
      '--user-data-dir=C:\\Temp\\optralis-window-1',
    ]);
    expect(args).toContain('--no-first-run');
  });
});
