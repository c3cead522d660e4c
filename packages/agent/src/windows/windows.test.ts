import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMachineGuid } from '../hardware';
import { restrictToAdministratorsCommands } from './acl';
import { elevationCommand, quoteWindowsArgument, windowsCommandLine } from './elevation';
import { SERVICE_NAME, windowsPaths } from './paths';
import { parseRegQuery, registryNumber } from './registry';
import { parseScQuery, serviceSetupCommands, winswConfig } from './service';
import { UNINSTALL_KEY, uninstallEntryCommands } from './uninstall-entry';
import { describeWindows, parseWindowsVersion } from './version';

/** Outputs of the Windows tools: wine8-* recorded here under Wine 8, windows-* in Windows' own layout. */
function fixture(name: string): string {
  return fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'latin1');
}

const paths = windowsPaths({});

describe('the specification’s Windows paths', () => {
  it('are the documented ones by default, whatever the case of the variables', () => {
    expect(paths.agentExe).toBe('C:\\Program Files\\Optralis Agent\\optralis-agent.exe');
    expect(paths.lhmDir).toBe('C:\\Program Files\\Optralis Agent\\lhm');
    expect(paths.configFile).toBe('C:\\ProgramData\\optralis-agent\\config.json');
    expect(paths.clientCert).toBe('C:\\ProgramData\\optralis-agent\\client.crt');
    expect(paths.clientKey).toBe('C:\\ProgramData\\optralis-agent\\client.key');
    expect(paths.logsDir).toBe('C:\\ProgramData\\optralis-agent\\logs');
    const moved = windowsPaths({
      PROGRAMW6432: 'D:\\Apps',
      programdata: 'D:\\Data',
      SYSTEMROOT: 'D:\\Win',
    });
    expect(moved.agentExe).toBe('D:\\Apps\\Optralis Agent\\optralis-agent.exe');
    expect(moved.dataDir).toBe('D:\\Data\\optralis-agent');
    expect(moved.systemRoot).toBe('D:\\Win');
  });

  it('take the 64-bit Program Files even when the 32-bit one is named first', () => {
    const both = windowsPaths({
      ProgramFiles: 'C:\\Program Files (x86)',
      ProgramW6432: 'C:\\Program Files',
    });
    expect(both.programDir).toBe('C:\\Program Files\\Optralis Agent');
  });
});

describe('registry reads', () => {
  it('reads the build and version of Windows 10 22H2, Server 2016, 8.1 and Wine', () => {
    expect(parseWindowsVersion(fixture('windows10-22h2-reg-query-currentversion.txt'))).toEqual({
      build: 19045,
      major: 10,
      minor: 0,
      productName: 'Windows 10 Pro',
      displayVersion: '22H2',
    });
    const server = parseWindowsVersion(fixture('windows-server-2016-reg-query-currentversion.txt'));
    expect(server).toMatchObject({ build: 14393, major: 10, minor: 0 });
    expect(describeWindows(server!)).toBe('Windows Server 2016 Standard (build 14393)');
    // Before Windows 10 there is no CurrentMajorVersionNumber: "6.3" is the version.
    expect(parseWindowsVersion(fixture('windows81-reg-query-currentversion.txt'))).toMatchObject({
      build: 9600,
      major: 6,
      minor: 3,
    });
    expect(parseWindowsVersion(fixture('wine8-reg-query-currentversion.txt'))).toMatchObject({
      build: 18362,
      major: 10,
      productName: 'Microsoft Windows 10',
    });
  });

  it('reads only the first key’s values, with spaces in names and empty data', () => {
    const values = parseRegQuery(fixture('wine8-reg-query-currentversion.txt'));
    expect(values.get('CSDVersion')).toEqual({ type: 'REG_SZ', data: '' });
    expect(registryNumber(values.get('CurrentMajorVersionNumber'))).toBe(10);
    expect(registryNumber(values.get('InstallDate'))).toBe(0x4be5019a);
    expect(values.has('AeDebug')).toBe(false);
  });

  it('gives nothing for a missing key, in any language', () => {
    expect(parseWindowsVersion(fixture('windows-fr-reg-query-missing-key.txt'))).toBeUndefined();
    expect(parseWindowsVersion('')).toBeUndefined();
  });

  it('reads MachineGuid as Wine printed it', () => {
    expect(parseMachineGuid(fixture('wine8-reg-query-machineguid.txt'))).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });
});

describe('service commands', () => {
  it('create OptralisAgent on the wrapper, quoted, automatic, restarted on failure', () => {
    const commands = serviceSetupCommands(paths, false);
    expect(commands.map((c) => [c.file, ...c.args])).toEqual([
      [
        'C:\\Windows\\System32\\sc.exe',
        'create',
        'OptralisAgent',
        'binPath=',
        '"C:\\Program Files\\Optralis Agent\\optralis-agent-service.exe"',
        'start=',
        'auto',
        'DisplayName=',
        'Optralis Agent',
      ],
      [
        'C:\\Windows\\System32\\sc.exe',
        'description',
        'OptralisAgent',
        'Optralis monitoring agent (heartbeat, inventory, updates)',
      ],
      [
        'C:\\Windows\\System32\\sc.exe',
        'failure',
        'OptralisAgent',
        'reset=',
        '86400',
        'actions=',
        'restart/5000/restart/10000/restart/60000',
      ],
      ['C:\\Windows\\System32\\sc.exe', 'failureflag', 'OptralisAgent', '1'],
    ]);
    expect(commands.map((c) => c.critical)).toEqual([true, false, true, false]);
  });

  it('repair an existing service with sc config and the same settings', () => {
    const [first] = serviceSetupCommands(paths, true);
    expect(first?.args.slice(0, 2)).toEqual(['config', SERVICE_NAME]);
    expect(first?.args.slice(2)).toEqual(serviceSetupCommands(paths, false)[0]?.args.slice(2));
  });

  it('read the state and process of sc query, recorded or in Windows’ layout', () => {
    expect(parseScQuery(fixture('windows-sc-query-running.txt'))).toEqual({
      state: 'running',
      pid: undefined,
      win32ExitCode: 0,
    });
    expect(parseScQuery(fixture('windows-sc-queryex-running.txt'))).toMatchObject({
      state: 'running',
      pid: 4312,
    });
    expect(parseScQuery(fixture('windows-sc-query-stop-pending.txt'))?.state).toBe('stop_pending');
    expect(parseScQuery(fixture('wine8-sc-query-stopped.txt'))).toEqual({
      state: 'stopped',
      pid: undefined,
      win32ExitCode: 1077,
    });
    expect(parseScQuery(fixture('windows-sc-query-missing.txt'))).toBeUndefined();
    expect(parseScQuery(fixture('windows-fr-sc-query-missing.txt'))).toBeUndefined();
  });

  it('configure WinSW to run the agent on the data folder, with escaped XML', () => {
    const xml = winswConfig(paths);
    expect(xml).toContain('<id>OptralisAgent</id>');
    expect(xml).toContain(
      '<executable>C:\\Program Files\\Optralis Agent\\optralis-agent.exe</executable>',
    );
    expect(xml).toContain(
      '<arguments>run --config-dir &quot;C:\\ProgramData\\optralis-agent&quot;</arguments>',
    );
    expect(xml).toContain('<logpath>C:\\ProgramData\\optralis-agent\\logs</logpath>');
    const odd = winswConfig(windowsPaths({ ProgramData: 'C:\\R&D <data>' }));
    expect(odd).toContain(
      '<workingdirectory>C:\\R&amp;D &lt;data&gt;\\optralis-agent</workingdirectory>',
    );
    expect(xml.split('\r\n')[0]).toBe('<service>');
  });
});

describe('access control', () => {
  it('grants SYSTEM and Administrators by SID only, owner Administrators, children reset', () => {
    const commands = restrictToAdministratorsCommands(paths, paths.dataDir);
    expect(commands.map((c) => [c.file, ...c.args].join(' '))).toEqual([
      'C:\\Windows\\System32\\icacls.exe C:\\ProgramData\\optralis-agent /setowner *S-1-5-32-544 /T /C /Q',
      'C:\\Windows\\System32\\icacls.exe C:\\ProgramData\\optralis-agent /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F /Q',
      'C:\\Windows\\System32\\icacls.exe C:\\ProgramData\\optralis-agent\\* /reset /T /C /Q',
    ]);
  });
});

describe('elevation', () => {
  it('quotes arguments as the C runtime splits them', () => {
    expect(quoteWindowsArgument('-silent')).toBe('-silent');
    expect(quoteWindowsArgument('C:\\Program Files\\x.log')).toBe('"C:\\Program Files\\x.log"');
    expect(quoteWindowsArgument('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(quoteWindowsArgument('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWindowsArgument('')).toBe('""');
    expect(windowsCommandLine(['-log', "C:\\Users\\O'Brien\\a b.log"])).toBe(
      '-log "C:\\Users\\O\'Brien\\a b.log"',
    );
  });

  it('asks UAC through PowerShell with an encoded script that keeps every character', () => {
    const exe = "C:\\Users\\O'Brien\\Downloads\\optralis-agent-01J.exe";
    const command = elevationCommand(paths, exe, ['-silent', '-log', 'C:\\a b\\x.log']);
    expect(command.file).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    const encoded = command.args[command.args.indexOf('-EncodedCommand') + 1] as string;
    const script = Buffer.from(encoded, 'base64').toString('utf16le');
    expect(script).toContain(
      "Start-Process -FilePath 'C:\\Users\\O''Brien\\Downloads\\optralis-agent-01J.exe' -ArgumentList '-silent -log \"C:\\a b\\x.log\"' -Verb RunAs -Wait -PassThru",
    );
    expect(script).toContain('exit $p.ExitCode');
    expect(script).toContain('NativeErrorCode -eq 1223');
  });
});

describe('the "Apps & features" entry', () => {
  it('names the uninstall commands with the quoted installed executable', () => {
    const commands = uninstallEntryCommands(paths, 100_000.4);
    const value = (name: string) => {
      const args = commands.find((c) => c.args[3] === name)?.args ?? [];
      return args[args.indexOf('/d') + 1];
    };
    expect(commands.every((c) => c.args[1] === UNINSTALL_KEY && c.args.at(-1) === '/reg:64')).toBe(
      true,
    );
    expect(value('UninstallString')).toBe(
      '"C:\\Program Files\\Optralis Agent\\optralis-agent.exe" uninstall',
    );
    expect(value('QuietUninstallString')).toBe(
      '"C:\\Program Files\\Optralis Agent\\optralis-agent.exe" uninstall -silent',
    );
    expect(value('EstimatedSize')).toBe('100000');
  });
});
