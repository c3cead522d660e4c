import type { PayloadConfig } from '@optralis/protocol/installer-payload';

/**
 * The instructions and script of the fallback ZIP. Both use CRLF (Notepad and PowerShell on
 * every supported Windows); the script is plain ASCII because Windows PowerShell 5.1 reads a
 * file without a byte order mark in the legacy code page; README.txt is UTF-8 with a BOM.
 */

function crlf(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * install.ps1 of the ZIP: installs from the files beside it. Without optralis-agent.exe in the
 * folder it downloads the stable build that metadata-windows.json names and checks its SHA-256.
 * The token goes to the installer as a file (`-token-file`), never as an argument value.
 */
export function installScript(): string {
  return crlf([
    '# Optralis Agent: installs the agent with the files of this folder.',
    '# Run in PowerShell as Administrator:  powershell -ExecutionPolicy Bypass -File .\\install.ps1',
    '#Requires -RunAsAdministrator',
    'param([switch]$WithLHM)',
    "$ErrorActionPreference = 'Stop'",
    'Set-StrictMode -Version 2',
    '[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12',
    '$here = Split-Path -Parent $MyInvocation.MyCommand.Path',
    "$config = Get-Content -Raw -Path (Join-Path $here 'config.json') | ConvertFrom-Json",
    "$exe = Join-Path $here 'optralis-agent.exe'",
    '',
    'if (-not (Test-Path -LiteralPath $exe)) {',
    '  $base = $config.public_url.TrimEnd("/") + "/downloads/stable"',
    '  Write-Host "Downloading the Optralis agent from $base"',
    '  $metadata = Invoke-RestMethod -UseBasicParsing -Uri "$base/metadata-windows.json"',
    '  Invoke-WebRequest -UseBasicParsing -Uri "$base/$($metadata.filename)" -OutFile $exe',
    '  $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $exe).Hash',
    '  if ($actual -ne $metadata.checksum_sha256) {',
    '    Remove-Item -LiteralPath $exe',
    '    throw "The download does not match its SHA-256 ($actual); nothing was installed."',
    '  }',
    '}',
    '',
    "$arguments = @('-silent', '-url', ('\"{0}\"' -f $config.public_url))",
    "if ($WithLHM) { $arguments += '-with-lhm' }",
    "if ($config.mode -eq 'certificate') {",
    "  $arguments += @('-mtls-cert', ('\"{0}\"' -f (Join-Path $here 'client.crt')))",
    "  $arguments += @('-mtls-key', ('\"{0}\"' -f (Join-Path $here 'client.key')))",
    '} else {',
    "  $arguments += @('-token-file', ('\"{0}\"' -f (Join-Path $here 'token.txt')))",
    '}',
    'Write-Host "Installing the Optralis agent..."',
    '$process = Start-Process -FilePath $exe -ArgumentList $arguments -Wait -PassThru',
    'if ($process.ExitCode -ne 0) {',
    '  throw "The installer stopped with exit code $($process.ExitCode); see C:\\ProgramData\\optralis-agent\\logs."',
    '}',
    'Write-Host "The Optralis agent is installed: Get-Service OptralisAgent"',
  ]);
}

export interface ReadmeFacts {
  clientName: string;
  config: PayloadConfig;
  /** Machines the token may install; 0 = unlimited. Certificate mode: 1. */
  machines: number;
  /** Whether optralis-agent.exe is in the ZIP. */
  withExecutable: boolean;
}

function machinesFr(count: number): string {
  if (count === 0) return 'un nombre illimité de machines';
  return count === 1 ? 'une seule machine' : `${count} machines au plus`;
}

function machinesEn(count: number): string {
  if (count === 0) return 'any number of machines';
  return count === 1 ? 'one machine only' : `up to ${count} machines`;
}

function validity(config: PayloadConfig): string {
  return config.expires_at ? `${config.expires_at.slice(0, 16).replace('T', ' ')} UTC` : '-';
}

/** README.txt, French then English, with the exact steps. */
export function readme(facts: ReadmeFacts): string {
  const { config } = facts;
  const secret = config.mode === 'certificate' ? 'client.key' : 'token.txt';
  const until = validity(config);
  const fr = [
    `Agent Optralis - installation pour ${facts.clientName}`,
    '==================================================',
    '',
    config.mode === 'certificate'
      ? `Ce dossier installe l'agent sur une seule machine (certificat valable jusqu'au ${until}).`
      : `Ce dossier installe l'agent sur ${machinesFr(facts.machines)}, jusqu'au ${until}.`,
    '',
    'Étapes, sur chaque machine Windows :',
    '1. Copier le fichier ZIP sur la machine, clic droit > « Extraire tout… ».',
    '2. Ouvrir PowerShell en tant qu’administrateur (clic droit sur PowerShell > « Exécuter en tant',
    '   qu’administrateur »).',
    '3. Aller dans le dossier extrait :  cd "C:\\chemin\\du\\dossier"',
    '4. Lancer :  powershell -ExecutionPolicy Bypass -File .\\install.ps1',
    '   (ajouter -WithLHM pour installer aussi le pilote de température du processeur).',
    '5. Vérifier :  Get-Service OptralisAgent  doit afficher « Running », et la machine apparaît',
    '   dans le tableau de bord Optralis.',
    '',
    facts.withExecutable
      ? 'optralis-agent.exe est fourni dans ce dossier.'
      : `install.ps1 télécharge l'agent depuis ${config.public_url} et vérifie son SHA-256.`,
    `Sécurité : ${secret} est un secret. Supprimez ce dossier une fois les machines installées.`,
    '',
  ];
  const en = [
    `Optralis agent - installation for ${facts.clientName}`,
    '==================================================',
    '',
    config.mode === 'certificate'
      ? `This folder installs the agent on one machine (certificate valid until ${until}).`
      : `This folder installs the agent on ${machinesEn(facts.machines)}, until ${until}.`,
    '',
    'Steps, on each Windows machine:',
    '1. Copy the ZIP file to the machine, right-click it > "Extract All...".',
    '2. Open PowerShell as Administrator (right-click PowerShell > "Run as administrator").',
    '3. Go to the extracted folder:  cd "C:\\path\\to\\folder"',
    '4. Run:  powershell -ExecutionPolicy Bypass -File .\\install.ps1',
    '   (add -WithLHM to also install the CPU temperature driver).',
    '5. Check:  Get-Service OptralisAgent  shows "Running", and the machine appears in the',
    '   Optralis dashboard.',
    '',
    facts.withExecutable
      ? 'optralis-agent.exe is included in this folder.'
      : `install.ps1 downloads the agent from ${config.public_url} and checks its SHA-256.`,
    `Security: ${secret} is a secret. Delete this folder once the machines are installed.`,
  ];
  return `\uFEFF${crlf([...fr, ...en])}`;
}
