# Builds the Windows agent executable and metadata-windows.json into $env:OPTRALIS_DOWNLOADS_DIR\{channel}\
# (default deploy\downloads\{channel}\).
# A thin wrapper: the build itself is scripts/build-agent.mjs. Needs Node.js 20.19 or newer,
# `npm ci` done in the repository, and osslsigncode on the PATH (tar.exe ships with Windows).
#   .\scripts\build-agent.ps1 -Version 1.0.0 -Channel beta
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)][string]$Version,
  [ValidateSet('stable', 'beta')][string]$Channel = 'stable',
  # Sign with a PKCS#12 file; its password is read from a file, never given on the command line.
  [string]$SignPkcs12,
  [string]$SignPasswordFile,
  [string]$SignTimestampUrl,
  # Kept for the specification's command line: build outputs are never committed, so there is
  # nothing to push. Copy deploy\downloads to the server instead.
  [switch]$Push
)
$ErrorActionPreference = 'Stop'

$root = Split-Path -Parent $PSScriptRoot
$buildArgs = @(
  (Join-Path $root 'scripts\build-agent.mjs'),
  '--version', $Version, '--channel', $Channel, '--targets', 'windows-amd64'
)
if ($SignPkcs12) { $buildArgs += @('--sign-pkcs12', $SignPkcs12) }
if ($SignPasswordFile) { $buildArgs += @('--sign-password-file', $SignPasswordFile) }
if ($SignTimestampUrl) { $buildArgs += @('--sign-timestamp', $SignTimestampUrl) }

& node @buildArgs
$code = $LASTEXITCODE
if ($Push -and $code -eq 0) {
  Write-Warning 'Build outputs are not committed to git; copy deploy\downloads to the server.'
}
exit $code
