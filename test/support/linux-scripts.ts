import { spawnSync } from 'node:child_process';

/** The settings a rendered installer script carries, as the shell will see them. */
export function scriptSettings(script: string): Record<string, string> {
  const block = /# BEGIN SETTINGS\n([\s\S]*?)# END SETTINGS/.exec(script)?.[1] ?? '';
  const settings: Record<string, string> = {};
  for (const match of block.matchAll(/^ *([A-Z0-9_]+)='([^']*)'$/gm)) {
    settings[match[1] as string] = match[2] as string;
  }
  return settings;
}

/** shellcheck's findings on a script (empty when clean), as bash on the shebang says. */
export function shellcheck(script: string): string {
  const result = spawnSync('shellcheck', ['--format=gcc', '-'], {
    input: script,
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return `${result.stdout}${result.stderr}`.trim();
}

export function decodeBase64(text: string | undefined): string {
  return Buffer.from(text ?? '', 'base64').toString('utf8');
}
