/**
 * `install.ps1`, the PowerShell one-liner's script: it fetches the channel's Windows build,
 * checks it, and hands over to it. Everything that can live in the executable lives there (OS
 * gate, enrollment, service, steps); the script only downloads, verifies, passes the token in a
 * file and shows the executable's seven steps as it reports them.
 *
 * The text is ASCII only: Windows PowerShell 5.1 reads a saved script without a byte order
 * mark in the ANSI code page, and `irm … | iex` gets whatever the HTTP answer decodes to. The
 * French messages therefore carry their accents as \uXXXX escapes, turned into text by
 * [regex]::Unescape at run time.
 */

/** `é` → `\u00e9`: the French messages, kept ASCII. */
function ascii(text: string): string {
  return text.replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A PowerShell single-quoted literal (only the quote itself is special there). */
function literal(text: string): string {
  return `'${ascii(text).replace(/'/g, "''")}'`;
}

const MESSAGES = {
  notAdmin:
    "Lancez PowerShell en tant qu'administrateur (clic droit > Exécuter en tant qu'administrateur).",
  preparing: 'Préparation',
  metadata: 'Lecture de la dernière version ({0})',
  badMetadata: 'metadata-windows.json du canal {0} est invalide.',
  download: "Téléchargement de l'installeur {0}",
  verify: "Vérification de l'empreinte SHA-256",
  badChecksum:
    "L'empreinte SHA-256 du fichier téléchargé ne correspond pas : installation annulée.",
  installing: "Installation d'Optralis Agent",
  step: 'Étape {0}/{1} : {2}',
  aclFailed:
    "Impossible de protéger le dossier temporaire {0} (icacls, code {1}) : le jeton n'y a pas été écrit.",
  failed: "L'installation a échoué (code {0}). Journal : {1}",
  done: 'Journal : {0}',
} as const;

export function installScript(publicUrl: string): string {
  const server = publicUrl.replace(/\/+$/, '');
  const m = Object.fromEntries(
    Object.entries(MESSAGES).map(([key, value]) => [key, literal(value)]),
  ) as Record<keyof typeof MESSAGES, string>;
  return `# Optralis Agent - installation sous Windows (PowerShell en tant qu'administrateur)
#   irm ${server}/install.ps1 -OutFile install.ps1; .\\install.ps1 -Token "<TOKEN>"
#   -Beta : canal beta ; -WithLHM : driver de temperature CPU (LHM)
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)][string]$Token,
  [switch]$Beta,
  [switch]$WithLHM
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'Continue'
# TLS 1.2 before any request: Windows PowerShell 5.1 may still offer only TLS 1.0.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

$Server = ${literal(server)}
$Channel = if ($Beta) { 'beta' } else { 'stable' }

function Text([string]$Message, [object[]]$Values = @()) { [regex]::Unescape($Message) -f $Values }
# A failure ends the script through an exception carrying its status: never 'exit' here, which
# closes the administrator's window in the one-line form (& ([scriptblock]::Create((irm ...))).
function Fail([string]$Message, [int]$Code) {
  $Failure = New-Object System.Exception($Message)
  $Failure.Data['OptralisStatus'] = $Code
  throw $Failure
}

$Status = 0
$Work = $null
$Log = Join-Path $env:TEMP 'optralis-agent-install.log'
try {
  $Principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
  if (-not $Principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Fail (Text ${m.notAdmin}) 4
  }

  # A folder only SYSTEM and Administrators may read: the token goes there, never on a command line.
  $Work = Join-Path $env:TEMP ('optralis-' + [guid]::NewGuid().ToString('N'))
  New-Item -ItemType Directory -Path $Work | Out-Null
  & icacls.exe $Work /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
  if ($LASTEXITCODE -ne 0) { Fail (Text ${m.aclFailed} @($Work, $LASTEXITCODE)) 10 }

  Write-Progress -Activity (Text ${m.preparing}) -Status (Text ${m.metadata} $Channel) -PercentComplete 0
  $Meta = Invoke-RestMethod -UseBasicParsing -Uri "$Server/downloads/$Channel/metadata-windows.json"
  $File = [string]$Meta.filename
  $Expected = [string]$Meta.checksum_sha256
  if ($File -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]*\\.exe$' -or $Expected -notmatch '^[0-9A-Fa-f]{64}$') {
    Fail (Text ${m.badMetadata} $Channel) 7
  }

  Write-Progress -Activity (Text ${m.preparing}) -Status (Text ${m.download} $File) -PercentComplete 5
  $Exe = Join-Path $Work $File
  Invoke-WebRequest -UseBasicParsing -Uri "$Server/downloads/$Channel/$File" -OutFile $Exe

  Write-Progress -Activity (Text ${m.preparing}) -Status (Text ${m.verify}) -PercentComplete 10
  $Actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $Exe).Hash
  # Hex in either case: compared in lower case.
  if ($Actual.ToLowerInvariant() -ne $Expected.ToLowerInvariant()) { Fail (Text ${m.badChecksum}) 6 }
  Write-Progress -Activity (Text ${m.preparing}) -Completed

  $TokenFile = Join-Path $Work 'token.txt'
  [IO.File]::WriteAllText($TokenFile, $Token, (New-Object Text.UTF8Encoding($false)))
  $ProgressFile = Join-Path $Work 'progress.jsonl'
  $Arguments = @('-silent', '-url', $Server, '-token-file', ('"' + $TokenFile + '"'),
    '-progress-file', ('"' + $ProgressFile + '"'), '-log', ('"' + $Log + '"'))
  if ($Beta) { $Arguments += '-beta' }
  if ($WithLHM) { $Arguments += '-with-lhm' }

  $Process = Start-Process -FilePath $Exe -ArgumentList $Arguments -PassThru
  $null = $Process.Handle  # keeps the exit code readable once the process has ended
  $Seen = 0
  $Result = $null
  $Activity = Text ${m.installing}
  do {
    $Finished = $Process.HasExited
    $Lines = @(Get-Content -LiteralPath $ProgressFile -Encoding UTF8 -ErrorAction SilentlyContinue)
    while ($Seen -lt $Lines.Count) {
      try { $Item = $Lines[$Seen] | ConvertFrom-Json } catch { break }  # a line still being written
      $Seen++
      if ($Item.event -eq 'step') {
        $Step = Text ${m.step} @($Item.index, $Item.total, $Item.label)
        Write-Progress -Activity $Activity -Status $Step -PercentComplete ([int](($Item.index - 1) * 100 / $Item.total))
        Write-Host $Step
      } elseif ($Item.event -eq 'notice') {
        $Color = if ($Item.level -eq 'warning') { 'Yellow' } else { 'Gray' }
        Write-Host $Item.message -ForegroundColor $Color
      } elseif ($Item.event -eq 'result') {
        $Result = $Item
      }
    }
    if (-not $Finished) { Start-Sleep -Milliseconds 300 }
  } until ($Finished)
  Write-Progress -Activity $Activity -Completed
  $Code = $Process.ExitCode

  if ($null -ne $Result) {
    $Color = if ($Result.ok) { 'Green' } else { 'Red' }
    Write-Host $Result.message -ForegroundColor $Color
  }
  if ($Code -ne 0) { Fail (Text ${m.failed} @($Code, $Log)) $Code }
  Write-Host (Text ${m.done} $Log)
} catch {
  $Status = $_.Exception.Data['OptralisStatus']
  if ($null -eq $Status) { $Status = 1 }
  Write-Host $_.Exception.Message -ForegroundColor Red
} finally {
  if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

# The status for whoever ran the script: $LASTEXITCODE in every form, the process's exit code
# for 'powershell -File'. 'exit' only where it ends just this script (a file), never the host.
$global:LASTEXITCODE = $Status
if ($PSCommandPath) { exit $Status }
`.replace(/\n/g, '\r\n');
}
