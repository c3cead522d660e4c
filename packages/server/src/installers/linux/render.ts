import assert from 'node:assert/strict';
import { readInstallerScript } from '../scripts';

export type LinuxScript = 'install' | 'uninstall';

const SETTINGS_BLOCK = /^( *)# BEGIN SETTINGS\n([\s\S]*?)^ *# END SETTINGS$/m;
const ASSIGNMENT = /^ *([A-Z][A-Z0-9_]*)='([^']*)'$/;

/** A value as one single-quoted shell word: printable ASCII only, quotes closed and reopened. */
export function shellWord(value: string): string {
  assert.match(value, /^[\x20-\x7e]*$/, 'installer settings are printable ASCII');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function template(script: LinuxScript) {
  const text = readInstallerScript(`linux/scripts/${script}.sh`);
  const block = SETTINGS_BLOCK.exec(text);
  assert.ok(block, `${script}.sh has a settings block`);
  const defaults = new Map<string, string>();
  for (const line of (block[2] ?? '').split('\n').filter(Boolean)) {
    const match = ASSIGNMENT.exec(line);
    assert.ok(match?.[1] !== undefined, `${script}.sh settings are plain assignments: ${line}`);
    defaults.set(match[1], match[2] ?? '');
  }
  return { text, block, defaults, indent: block[1] ?? '' };
}

/**
 * The script with its settings block filled in: every setting of the template, with the given
 * value or the template's own default. A name the template does not have is a programming error.
 */
export function renderLinuxScript(script: LinuxScript, settings: Record<string, string>): string {
  const { text, block, defaults, indent } = template(script);
  for (const name of Object.keys(settings)) {
    assert.ok(defaults.has(name), `${script}.sh has no setting ${name}`);
  }
  const lines = [...defaults].map(
    ([name, fallback]) => `${indent}${name}=${shellWord(settings[name] ?? fallback)}`,
  );
  const filled = [`${indent}# BEGIN SETTINGS`, ...lines, `${indent}# END SETTINGS`].join('\n');
  const rendered = text.slice(0, block.index) + filled + text.slice(block.index + block[0].length);
  assert.ok(!rendered.includes('\r'), 'installer scripts have LF line endings only');
  return rendered;
}
