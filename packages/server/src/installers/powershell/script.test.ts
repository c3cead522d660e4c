import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../../test/support/server';
import { installScript } from './script';

/**
 * The script's code with comments dropped and string literals blanked, one entry per line with
 * the brace depth it sits at (a line that opens with `}` belongs to the outer block): enough
 * structure to check where keywords sit.
 */
function codeLines(script: string): { code: string; depth: number }[] {
  const out: { code: string; depth: number }[] = [];
  const stack: string[] = [];
  const pairs: Record<string, string> = { '}': '{', ')': '(', ']': '[' };
  for (const line of script.split('\r\n')) {
    const closing = /^\s*}/.test(line) ? 1 : 0;
    const depth = stack.filter((open) => open === '{').length - closing;
    let code = '';
    for (let i = 0; i < line.length; i += 1) {
      const char = line[i] as string;
      if (char === '#') break;
      if (char === "'" || char === '"') {
        let end = i + 1;
        for (; end < line.length; end += 1) {
          if (char === '"' && line[end] === '`') end += 1;
          else if (line[end] === char && line[end + 1] === char) end += 1;
          else if (line[end] === char) break;
        }
        if (end >= line.length) throw new Error(`unterminated string: ${line}`);
        code += `${char}${char}`;
        i = end;
        continue;
      }
      if ('{(['.includes(char)) stack.push(char);
      if ('})]'.includes(char) && stack.pop() !== pairs[char]) {
        throw new Error(`unbalanced ${char}: ${line}`);
      }
      code += char;
    }
    out.push({ code: code.trim(), depth });
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join('')}`);
  return out;
}

/** PowerShell cannot run here: the script's text is checked for what it must and must not do. */
describe('install.ps1', () => {
  let server: TestServer;
  let script: string;

  beforeAll(async () => {
    server = await startTestServer();
    const answer = await server.publicApp.inject({ method: 'GET', url: '/install.ps1' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    script = answer.body;
  });

  afterAll(async () => {
    await server?.stop();
  });

  const lines = () => script.split('\r\n');
  const indexOf = (pattern: RegExp) => lines().findIndex((line) => pattern.test(line));

  it('is public, ASCII, CRLF, and names this server', () => {
    expect(script).toMatch(/^[\x20-\x7e\r\n]*$/);
    expect(script).not.toMatch(/[^\r]\n/);
    expect(script).toContain(`$Server = '${server.publicUrl}'`);
    expect(script).toContain(
      `#   irm ${server.publicUrl}/install.ps1 -OutFile install.ps1; .\\install.ps1 -Token "<TOKEN>"`,
    );
  });

  it('takes -Token (required), -Beta and -WithLHM', () => {
    expect(script).toContain('[Parameter(Mandatory = $true)][string]$Token,');
    expect(script).toContain('[switch]$Beta,');
    expect(script).toContain('[switch]$WithLHM');
    expect(script).toContain("$Channel = if ($Beta) { 'beta' } else { 'stable' }");
    expect(script).toContain("if ($WithLHM) { $Arguments += '-with-lhm' }");
    expect(script).toContain("if ($Beta) { $Arguments += '-beta' }");
  });

  it('turns TLS 1.2 on before its first request', () => {
    const tls = indexOf(/SecurityProtocol.*-bor \[Net\.SecurityProtocolType\]::Tls12/);
    const firstRequest = indexOf(/Invoke-(RestMethod|WebRequest)/);
    expect(tls).toBeGreaterThan(0);
    expect(firstRequest).toBeGreaterThan(tls);
  });

  it('reads metadata-windows.json, downloads that file and compares SHA-256 in either case', () => {
    expect(script).toContain(
      'Invoke-RestMethod -UseBasicParsing -Uri "$Server/downloads/$Channel/metadata-windows.json"',
    );
    expect(script).toContain(
      'Invoke-WebRequest -UseBasicParsing -Uri "$Server/downloads/$Channel/$File" -OutFile $Exe',
    );
    expect(script).toContain("$File -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]*\\.exe$'");
    expect(script).toContain('(Get-FileHash -Algorithm SHA256 -LiteralPath $Exe).Hash');
    expect(script).toContain('if ($Actual.ToLowerInvariant() -ne $Expected.ToLowerInvariant())');
    // The check comes before the file is run.
    expect(indexOf(/ToLowerInvariant\(\) -ne/)).toBeLessThan(
      indexOf(/Start-Process -FilePath \$Exe/),
    );
  });

  it('never puts the token on a command line: a file in a folder for SYSTEM and Administrators', () => {
    const usesOfToken = lines().filter(
      (line) => /\$Token\b/.test(line) && !/\[string\]\$Token/.test(line),
    );
    expect(usesOfToken).toEqual([
      '  [IO.File]::WriteAllText($TokenFile, $Token, (New-Object Text.UTF8Encoding($false)))',
    ]);
    expect(script).toContain("'-token-file', ('\"' + $TokenFile + '\"')");
    expect(script).toContain(
      "& icacls.exe $Work /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null",
    );
    expect(indexOf(/icacls\.exe \$Work/)).toBeLessThan(indexOf(/WriteAllText\(\$TokenFile/));
  });

  it('runs the installer silently, shows its steps with a progress bar, returns its status, cleans up', () => {
    expect(script).toContain("$Arguments = @('-silent', '-url', $Server,");
    expect(script).toContain("'-progress-file', ('\"' + $ProgressFile + '\"')");
    expect(script).toContain('Write-Progress -Activity $Activity -Status $Step -PercentComplete');
    expect(script).toContain("if ($Item.event -eq 'step') {");
    expect(script).toContain('$Code = $Process.ExitCode');
    expect(script).toContain('if ($Code -ne 0) { Fail');
    expect(script).toContain(
      '} finally {\r\n  if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force',
    );
    expect(script).toContain('Fail (Text ');
    // Administrator check before anything is downloaded.
    expect(
      indexOf(/IsInRole\(\[Security\.Principal\.WindowsBuiltInRole\]::Administrator\)/),
    ).toBeLessThan(indexOf(/Invoke-RestMethod/));
  });

  it('parses: strings closed, braces, brackets and parentheses balanced', () => {
    expect(() => codeLines(script)).not.toThrow();
    const top = codeLines(script).filter((line) => line.depth === 0);
    expect(top.map((line) => line.code)).toEqual(
      expect.arrayContaining(['try {', '} catch {', '} finally {', '}']),
    );
  });

  it('never closes the administrator’s window: one exit, only when run as a file', () => {
    const code = codeLines(script);
    const exits = code.filter((line) => /\bexit\b/i.test(line.code));
    // The one-line form (& ([scriptblock]::Create((irm …))) -Token …) has no $PSCommandPath.
    expect(exits).toEqual([{ code: 'if ($PSCommandPath) { exit $Status }', depth: 0 }]);
    const status = code.findIndex((line) => line.code === '$global:LASTEXITCODE = $Status');
    expect(status).toBe(code.length - 3);
    expect(status).toBeGreaterThan(code.findIndex((line) => line.code === '} finally {'));
    // A failure throws its status to the catch at the top, which keeps it for the end.
    expect(script).toContain("  $Failure.Data['OptralisStatus'] = $Code\r\n  throw $Failure\r\n");
    expect(script).toContain("  $Status = $_.Exception.Data['OptralisStatus']\r\n");
  });

  it('stops before writing the token when icacls cannot lock the folder down', () => {
    const icacls = indexOf(/& icacls\.exe \$Work/);
    expect(lines()[icacls + 1]).toBe(
      "  if ($LASTEXITCODE -ne 0) { Fail (Text 'Impossible de prot\\u00e9ger le dossier temporaire {0} (icacls, code {1}) : le jeton n''y a pas \\u00e9t\\u00e9 \\u00e9crit.' @($Work, $LASTEXITCODE)) 10 }",
    );
    expect(icacls + 1).toBeLessThan(indexOf(/WriteAllText\(\$TokenFile/));
  });

  it('keeps the French accents as escapes that PowerShell turns back into text', () => {
    expect(script).toContain("'T\\u00e9l\\u00e9chargement de l''installeur {0}'");
    expect(script).toContain('[regex]::Unescape($Message) -f $Values');
    expect(installScript("https://o'brien.example/")).toContain(
      "$Server = 'https://o''brien.example'",
    );
  });
});
