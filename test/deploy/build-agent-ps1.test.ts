// scripts/build-agent.ps1, the wrapper people on Windows run. PowerShell is not on the build
// machine, so the script is read as text: its parameters, and the command line it hands to
// scripts/build-agent.mjs, which is replayed through the build's own option parser so that the
// two cannot drift apart.
import fs from 'node:fs';
import path from 'node:path';
import { CHANNELS } from '@optralis/protocol';
import { describe, expect, it } from 'vitest';
import { BUILD_OPTIONS, parseOptions } from '../../scripts/build-agent.mjs';
import { REPO_ROOT } from '../support/paths';
import { tempDir } from '../support/server';

const SCRIPT = fs.readFileSync(path.join(REPO_ROOT, 'scripts/build-agent.ps1'), 'utf8');

interface Parameter {
  attributes: string;
  default: string | undefined;
}

/** The `param(...)` block: each parameter's attributes (`[Parameter(...)][string]`) and default. */
function parameters(): Map<string, Parameter> {
  const block = /^param\(\n([\s\S]*?)\n\)$/m.exec(SCRIPT)?.[1];
  if (!block) throw new Error('build-agent.ps1 has no param() block');
  const code = block
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  const found = new Map<string, Parameter>();
  for (const match of code.matchAll(/((?:\[[^\]]+\])+)\$(\w+)(?:\s*=\s*'([^']*)')?/g)) {
    found.set(match[2]!, { attributes: match[1]!, default: match[3] });
  }
  return found;
}

/** A `'literal'` or a `$Parameter` of the argument list. */
type Word = { literal: string } | { parameter: string };

function words(list: string): Word[] {
  return [...list.matchAll(/'([^']*)'|\$(\w+)/g)].map((match) =>
    match[1] !== undefined ? { literal: match[1] } : { parameter: match[2]! },
  );
}

/** How the script builds `$buildArgs`: the script path, the fixed words, then `if`-guarded ones. */
function argumentList() {
  const base = /^\$buildArgs = @\(\n\s*\(Join-Path \$root '([^']+)'\),\n([^)]*)\n\)$/m.exec(SCRIPT);
  if (!base) throw new Error('build-agent.ps1 does not build $buildArgs as expected');
  const guarded = [...SCRIPT.matchAll(/^if \(\$(\w+)\) \{ \$buildArgs \+= @\(([^)]*)\) \}$/gm)].map(
    (match) => ({ when: match[1]!, words: words(match[2]!) }),
  );
  return { script: base[1]!, fixed: words(base[2]!), guarded };
}

/** The arguments the script gives `node` after the script path, for these parameter values. */
function commandLine(values: Record<string, string | undefined>): string[] {
  const { fixed, guarded } = argumentList();
  const chosen = [...fixed];
  for (const part of guarded) if (values[part.when]) chosen.push(...part.words);
  return chosen.map((word) => {
    if ('literal' in word) return word.literal;
    const value = values[word.parameter];
    if (value === undefined) throw new Error(`$${word.parameter} is passed but has no value`);
    return value;
  });
}

describe('scripts/build-agent.ps1', () => {
  it('requires -Version and restricts -Channel to the channels the build and server know', () => {
    const params = parameters();
    expect([...params.keys()]).toEqual([
      'Version',
      'Channel',
      'SignPkcs12',
      'SignPasswordFile',
      'SignTimestampUrl',
      'Push',
    ]);
    expect(params.get('Version')?.attributes).toBe('[Parameter(Mandatory = $true)][string]');
    expect(params.get('Channel')).toEqual({
      attributes: "[ValidateSet('stable', 'beta')][string]",
      default: BUILD_OPTIONS.channel?.default,
    });
    expect(CHANNELS).toEqual(['stable', 'beta']);
  });

  it('passes only flags the build accepts, each string flag with a value', () => {
    const { script, fixed, guarded } = argumentList();
    expect(script).toBe('scripts\\build-agent.mjs');
    expect(guarded.map((part) => part.when)).toEqual([
      'SignPkcs12',
      'SignPasswordFile',
      'SignTimestampUrl',
    ]);
    // Every `$buildArgs +=` of the script is one of those read above.
    expect(SCRIPT.match(/\$buildArgs \+=/g)).toHaveLength(guarded.length);

    const declared = parameters();
    for (const list of [fixed, ...guarded.map((part) => part.words)]) {
      for (let i = 0; i < list.length; i += 2) {
        const flag = list[i]!;
        const value = list[i + 1]!;
        expect(flag).toHaveProperty('literal');
        const name = 'literal' in flag ? flag.literal.replace(/^--/, '') : '';
        expect(BUILD_OPTIONS[name]?.type, `--${name}`).toBe('string');
        if ('parameter' in value) expect(declared.has(value.parameter)).toBe(true);
      }
    }
    expect(SCRIPT).toMatch(/^& node @buildArgs\n\$code = \$LASTEXITCODE$/m);
    expect(SCRIPT).toMatch(/^exit \$code$/m);
  });

  it('builds the Windows target only, on the channel given', () => {
    const argv = commandLine({ Version: '1.0.0', Channel: 'beta' });
    expect(argv).toEqual(['--version', '1.0.0', '--channel', 'beta', '--targets', 'windows-amd64']);
    expect(parseOptions(argv, {})).toMatchObject({
      help: false,
      version: '1.0.0',
      channel: 'beta',
      targets: ['windows-amd64'],
      signing: undefined,
    });
  });

  it('hands the signing files and timestamp server to the build, never the password', () => {
    const dir = tempDir('ps1-signing');
    const pkcs12 = path.join(dir, 'codesign.p12');
    const passwordFile = path.join(dir, 'codesign.password');
    fs.writeFileSync(pkcs12, 'not read by the option parser');
    fs.writeFileSync(passwordFile, 'not read by the option parser');

    const argv = commandLine({
      Version: '2.1.0-beta.3',
      Channel: 'stable',
      SignPkcs12: pkcs12,
      SignPasswordFile: passwordFile,
      SignTimestampUrl: 'http://timestamp.example.test/rfc3161',
    });
    expect(argv.slice(6)).toEqual([
      '--sign-pkcs12',
      pkcs12,
      '--sign-password-file',
      passwordFile,
      '--sign-timestamp',
      'http://timestamp.example.test/rfc3161',
    ]);
    expect(parseOptions(argv, {})).toMatchObject({
      version: '2.1.0-beta.3',
      channel: 'stable',
      targets: ['windows-amd64'],
      signing: {
        pkcs12,
        passwordFile,
        timestampUrl: 'http://timestamp.example.test/rfc3161',
        cert: undefined,
        key: undefined,
      },
    });
    expect(SCRIPT).not.toMatch(/\$(SignPassword|Password)\b(?!File)/);
  });

  it('leaves the version to the build, which refuses one that is not semver', () => {
    expect(() => parseOptions(commandLine({ Version: '1.0', Channel: 'stable' }), {})).toThrow(
      'version "1.0" is not a semantic version such as 1.0.0',
    );
    expect(() => parseOptions(commandLine({ Version: ' ', Channel: 'beta' }), {})).toThrow(
      '--version is required',
    );
  });
});
