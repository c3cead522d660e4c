import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareLanguages, flatten } from './check';
import { en } from './en';
import { fr } from './fr';

/** The translation keys the specification names for the documentation and installation pages. */
const SPEC_KEYS = [
  'installation.mtlsRecommended',
  'installation.mtlsRecommendedDesc',
  'quickInstall.option1',
  'quickInstall.option1Note',
  'installation.personalizedInstallerDesc',
  'installation.windowsInstallerDesc',
  'installation.quickInstallLinux',
];

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('the translations', () => {
  it('have the same keys, none empty, with the same placeholders, in French and English', () => {
    expect(compareLanguages({ en, fr })).toEqual([]);
  });

  it('report a key missing in either language', () => {
    const frWithout = structuredClone(fr) as unknown as { login: Record<string, string> };
    delete frWithout.login.submit;
    const enWithout = { ...en, nav: { machines: 'Machines' } };
    const problems = compareLanguages({ en: enWithout, fr: frWithout as never });
    expect(problems).toContainEqual({ language: 'fr', key: 'login.submit', problem: 'missing' });
    expect(problems).toContainEqual({ language: 'en', key: 'nav.clients', problem: 'missing' });
  });

  it('report a placeholder that one language lost', () => {
    const broken = { ...fr, app: { ...fr.app, signedInAs: 'Connecté' } };
    expect(compareLanguages({ en, fr: broken })).toContainEqual({
      language: 'fr',
      key: 'app.signedInAs',
      problem: 'placeholders',
    });
  });

  it('include the keys the specification names, in both languages', () => {
    for (const tree of [en, fr]) {
      const keys = flatten(tree);
      for (const key of SPEC_KEYS) expect(keys.get(key), key).toBeTruthy();
    }
    expect(flatten(en).get('installation.windowsInstallerDesc')).toBe(
      'EXE installer with WebView2 GUI',
    );
    expect(flatten(en).get('installation.personalizedInstallerDesc')).toBe(
      'Automatic installation, no configuration required',
    );
    expect(flatten(en).get('quickInstall.option1')).toContain('GUI installer (WebView2)');
  });

  it('cover every key the pages ask for', () => {
    const known = flatten(en);
    const used = new Set<string>();
    for (const file of sources(SRC)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\bt\(\s*'([\w.]+)'/g)) used.add(match[1] ?? '');
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((key) => !known.has(key))).toEqual([]);
  });
});
