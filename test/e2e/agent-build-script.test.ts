import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseWindowsReleaseMetadata } from '@optralis/protocol';
import { describe, expect, it } from 'vitest';
import { withAgentBuildSlot } from '../support/agent-build';
import { runToFiles } from '../support/foreign';
import { REPO_ROOT } from '../support/paths';
import type { ProcessResult } from '../support/processes';
import { tempDir } from '../support/server';

function buildAgent(args: string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'scripts/build-agent.mjs'), ...args],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A throwaway code-signing certificate in a PKCS#12 file whose password is in a file. */
async function codeSigningIdentity(dir: string) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const pkcs12 = path.join(dir, 'signing.p12');
  const passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, 'throwaway signing password\n', { mode: 0o600 });
  const made = await runToFiles('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Optralis Test Code Signing',
    '-keyout',
    key,
    '-out',
    cert,
    '-addext',
    'extendedKeyUsage=codeSigning',
    '-addext',
    'keyUsage=digitalSignature',
  ]);
  expect(made.code, made.stderr).toBe(0);
  const exported = await runToFiles('openssl', [
    'pkcs12',
    '-export',
    '-inkey',
    key,
    '-in',
    cert,
    '-out',
    pkcs12,
    '-passout',
    `file:${passwordFile}`,
  ]);
  expect(exported.code, exported.stderr).toBe(0);
  return { cert, pkcs12, passwordFile };
}

describe('scripts/build-agent.mjs', () => {
  it.each([
    [['-v', '1.0', '-c', 'stable'], 'version "1.0" is not a semantic version'],
    [['-v', 'v1.0.0'], 'version "v1.0.0" is not a semantic version'],
    [['-v', '1.0.0', '-c', 'nightly'], 'channel "nightly" is neither stable nor beta'],
    [['-v', '1.0.0', '-t', 'linux-riscv64'], 'unknown target linux-riscv64'],
    [['-c', 'stable'], '--version is required'],
    [['-v', '1.0.0', '--sign-cert', '/nonexistent.pem'], 'signing needs --sign-pkcs12'],
  ])('refuses %j before building anything', async (args, message) => {
    const out = path.join(tempDir('refused'), 'downloads');
    const result = await buildAgent([...args, '-o', out]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('signs the Windows executable and replaces what an earlier build left', async () => {
    const dir = tempDir('signed-build');
    const identity = await codeSigningIdentity(dir);
    const out = path.join(dir, 'downloads');
    const exe = path.join(out, 'beta', 'optralis-agent-v2.0.0-beta.1.exe');
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    fs.writeFileSync(exe, 'an executable from an earlier build');
    fs.writeFileSync(`${exe}.gz`, 'its precompressed copy');

    const result = await withAgentBuildSlot(() =>
      buildAgent([
        '-v',
        '2.0.0-beta.1',
        '-c',
        'beta',
        '-t',
        'windows-amd64',
        '-o',
        out,
        '--no-gzip',
        '--sign-pkcs12',
        identity.pkcs12,
        '--sign-password-file',
        identity.passwordFile,
      ]),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /optralis-agent 2\.0\.0-beta\.1 \(beta\), Node 22\.23\.3, built in/,
    );
    expect(result.stdout).toMatch(/windows-amd64 +\d+\.\d MB/);
    expect(result.stderr).not.toContain('throwaway signing password');

    expect(fs.statSync(exe).size).toBeGreaterThan(50 * 1024 * 1024);
    expect(fs.existsSync(`${exe}.gz`)).toBe(false);
    const verified = await runToFiles('osslsigncode', [
      'verify',
      '-in',
      exe,
      '-CAfile',
      identity.cert,
    ]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain('Signature verification: ok');

    const metadataFile = path.join(out, 'beta', 'metadata-windows.json');
    const metadata = parseWindowsReleaseMetadata(fs.readFileSync(metadataFile), metadataFile);
    expect(metadata).toMatchObject({
      version: '2.0.0-beta.1',
      channel: 'beta',
      filename: 'optralis-agent-v2.0.0-beta.1.exe',
      file_size_bytes: fs.statSync(exe).size,
    });
    expect(fs.readdirSync(out).filter((name) => name.startsWith('.work'))).toEqual([]);
  });
});
