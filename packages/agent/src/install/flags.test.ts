import { describe, expect, it } from 'vitest';
import { EXIT } from './errors';
import { FlagError, INSTALLER_USAGE, parseInstallerFlags } from './flags';
import { isInstallerCommandLine } from './main';
import { decideOsGate, FALLBACK_MIN_WINDOWS_BUILD } from './os-gate';

describe('the installer’s command line', () => {
  it('reads the spec’s single-dash flags the way Go’s flag package does', () => {
    expect(
      parseInstallerFlags([
        '-silent',
        '-url',
        'https://optralis.example.com/',
        '--with-lhm',
        '-mtls-cert=C:\\x\\client.crt',
        '-mtls-key',
        'C:\\x\\client.key',
        '-beta',
      ]),
    ).toEqual({
      uninstall: false,
      silent: true,
      url: 'https://optralis.example.com',
      withLhm: true,
      mtlsCert: 'C:\\x\\client.crt',
      mtlsKey: 'C:\\x\\client.key',
      beta: true,
      help: false,
      elevated: false,
    });
    expect(parseInstallerFlags(['uninstall', '-silent=true'])).toMatchObject({
      uninstall: true,
      silent: true,
    });
    expect(parseInstallerFlags(['-help']).help).toBe(true);
    expect(parseInstallerFlags(['-silent=false']).silent).toBe(false);
  });

  it('refuses secrets on the command line and says what to use instead', () => {
    expect(() => parseInstallerFlags(['-silent', '-key', 'abc'])).toThrow(/-token-file/);
    expect(() => parseInstallerFlags(['-token', 'opt_abc'])).toThrow(FlagError);
  });

  it('refuses what cannot go together or is malformed', () => {
    expect(() => parseInstallerFlags(['-mtls-cert', 'a.crt'])).toThrow(
      '-mtls-cert et -mtls-key vont ensemble',
    );
    expect(() =>
      parseInstallerFlags(['-mtls-cert', 'a', '-mtls-key', 'b', '-token-file', 't']),
    ).toThrow(FlagError);
    expect(() => parseInstallerFlags(['-url'])).toThrow('-url demande une valeur');
    expect(() => parseInstallerFlags(['-url', 'ftp://x'])).toThrow(/https/);
    expect(() => parseInstallerFlags(['-url', 'https://me:pw@x'])).toThrow(/identifiants/);
    expect(() => parseInstallerFlags(['-silent', 'extra'])).toThrow('argument inattendu : extra');
    expect(() => parseInstallerFlags(['-verbose'])).toThrow('option inconnue : -verbose');
    expect(() => parseInstallerFlags(['uninstall', '-with-lhm'])).toThrow(FlagError);
  });

  it('leaves the agent’s own commands to the agent', () => {
    expect(isInstallerCommandLine([], 'win32')).toBe(true);
    expect(isInstallerCommandLine([], 'linux')).toBe(false);
    expect(isInstallerCommandLine(['-silent'], 'linux')).toBe(true);
    expect(isInstallerCommandLine(['uninstall'], 'win32')).toBe(true);
    expect(isInstallerCommandLine(['-help'], 'win32')).toBe(true);
    for (const command of [
      'run',
      'enroll',
      'version',
      'identity',
      'update-watchdog',
      '--help',
      '-h',
    ]) {
      expect(isInstallerCommandLine([command, '--config-dir', 'x'], 'win32')).toBe(false);
    }
  });
});

describe('-help', () => {
  it('tells a script to wait with Start-Process, the prompt returning at once', () => {
    const paragraphs = INSTALLER_USAGE.split('\n\n');
    const waiting = paragraphs.find((text) => text.startsWith('Depuis une invite PowerShell'));
    expect(waiting?.replace(/\s+/g, ' ')).toContain(
      "rend la main tout de suite, avant d'avoir fini",
    );
    expect(waiting?.replace(/\s+/g, ' ')).toContain(
      'Start-Process -Wait -PassThru et lisez .ExitCode',
    );
    expect(waiting?.split('\n').slice(-2)).toEqual([
      "  $p = Start-Process .\\optralis-agent.exe -ArgumentList '-silent' -Wait -PassThru",
      '  exit $p.ExitCode',
    ]);
  });

  it('lists every exit status and fits a console window', () => {
    const statuses = INSTALLER_USAGE.slice(INSTALLER_USAGE.indexOf('Codes de sortie'));
    for (const status of Object.values(EXIT).filter((code) => code !== EXIT.unexpected)) {
      expect(statuses).toMatch(new RegExp(`\\s${status} `));
    }
    for (const line of INSTALLER_USAGE.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('the OS gate', () => {
  const version = (build: number, major = 10) => ({ build, major, minor: 0 });
  const server = (minimum: number) => ({ minimum, message: null, source: 'server' as const });
  const fallback = {
    minimum: FALLBACK_MIN_WINDOWS_BUILD,
    message: null,
    source: 'fallback' as const,
  };

  it('compares builds as integers, with 17763 when the server cannot say', () => {
    const table: [number, boolean][] = [
      [9600, false],
      [14393, false],
      [17134, false],
      [17762, false],
      [17763, true],
      [19045, true],
      [22631, true],
      [26100, true],
    ];
    for (const [build, supported] of table) {
      expect([build, decideOsGate(version(build), fallback).supported]).toEqual([build, supported]);
    }
  });

  it('applies the server’s build, and major versions for the small values of the spec', () => {
    expect(decideOsGate(version(19044), server(19045)).supported).toBe(false);
    expect(decideOsGate(version(19045), server(19045)).supported).toBe(true);
    expect(decideOsGate(version(14393), server(14393)).supported).toBe(true);
    // "10": any Windows 10 or later; "6": Windows 7/8/8.1 too.
    expect(decideOsGate(version(10240), server(10)).supported).toBe(true);
    expect(decideOsGate(version(9600, 6), server(10)).supported).toBe(false);
    expect(decideOsGate(version(9600, 6), server(6)).supported).toBe(true);
  });

  it('refuses when the registry cannot be read, and names the requirement', () => {
    const decision = decideOsGate(undefined, { ...fallback });
    expect(decision.supported).toBe(false);
    expect(decision.message).toContain('build 17763');
  });
});
