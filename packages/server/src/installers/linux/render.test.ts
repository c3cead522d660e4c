import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptSettings } from '../../../../../test/support/linux-scripts';
import { renderLinuxScript, shellWord } from './render';

describe('filling in the Linux scripts', () => {
  it('quotes any printable value so that bash reads it back unchanged', () => {
    const values = fc.sample(fc.string({ unit: fc.constantFrom(...printable()), maxLength: 40 }), {
      numRuns: 300,
      seed: 5,
    });
    values.push("it's", "''", "'", '$(id)', '`id`', '\\', '"$HOME"', '');
    const script = `printf '%s\\0' ${values.map(shellWord).join(' ')}`;
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(values);
  });

  it('refuses values that are not printable ASCII', () => {
    expect(() => shellWord('a\nb')).toThrow();
    expect(() => shellWord('é')).toThrow();
  });

  it('writes every setting of the template, given or default, and nothing else', () => {
    const script = renderLinuxScript('install', {
      SERVER_URL: 'https://optralis.example',
      INSTALLER_ARCH: 'arm64',
    });
    const settings = scriptSettings(script);
    expect(settings).toMatchObject({
      SERVER_URL: 'https://optralis.example',
      CHANNEL: 'stable',
      INSTALLER_MODE: 'generic',
      INSTALLER_ARCH: 'arm64',
      EMBEDDED_TOKEN: '',
    });
    expect(Object.keys(settings)).toContain('EMBEDDED_RELEASE_KEY_SHA256');
    expect(() => renderLinuxScript('install', { NOT_A_SETTING: 'x' })).toThrow(/no setting/);
    expect(script).not.toContain('\r');
    expect(script.endsWith('main "$@"\nexit\n}\n')).toBe(true);
  });
});

function printable(): string[] {
  return Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index));
}
