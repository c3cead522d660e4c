import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseLinuxReleaseMetadata, parseWindowsReleaseMetadata } from '@optralis/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import {
  ARM64_SYSROOT,
  newWinePrefix,
  runToFiles,
  stopWine,
  WINE,
  wineMachineGuid,
} from '../support/foreign';

const VERSION = '1.0.0';

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('the agent executables for other platforms, run on this machine', () => {
  let build: AgentBuild<'linux-arm64' | 'windows-amd64'>;

  beforeAll(async () => {
    build = await ensureAgentBuild({
      version: VERSION,
      channel: 'stable',
      targets: ['linux-arm64', 'windows-amd64'],
    });
  });

  it('linux-arm64 prints its version and architecture under qemu-aarch64', async () => {
    const file = build.files['linux-arm64'];
    expect(path.basename(file)).toBe('optralis-agent-linux-arm64-v1.0.0');
    const result = await runToFiles('qemu-aarch64', ['-L', ARM64_SYSROOT, file, 'version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('optralis-agent 1.0.0 linux/arm64\n');
  });

  it('linux-arm64 is stripped of its symbol table, like linux-amd64', () => {
    const file = fs.readFileSync(build.files['linux-arm64']);
    // An ELF for AArch64 (e_machine 183): the official Node.js it starts from carries a .symtab,
    // which only a strip that reads AArch64 files removes.
    expect(file.readUInt16LE(18)).toBe(183);
    expect(file.includes(Buffer.from('.symtab\0'))).toBe(false);
  });

  it('the metadata files describe both executables exactly', () => {
    const linuxFile = build.metadata.linux as string;
    const linux = parseLinuxReleaseMetadata(fs.readFileSync(linuxFile), linuxFile);
    expect(linux.architectures.arm64).toEqual({
      filename: 'optralis-agent-linux-arm64-v1.0.0',
      checksum_sha256: sha256(build.files['linux-arm64']),
      file_size_bytes: fs.statSync(build.files['linux-arm64']).size,
    });
    expect(linux.architectures.amd64).toBeUndefined();

    const windowsFile = build.metadata.windows as string;
    const bytes = fs.readFileSync(windowsFile);
    expect(bytes[0]).toBe(0x7b);
    expect(parseWindowsReleaseMetadata(bytes, windowsFile)).toEqual({
      version: VERSION,
      channel: 'stable',
      platform: 'windows',
      architecture: 'amd64',
      filename: 'optralis-agent-v1.0.0.exe',
      checksum_sha256: sha256(build.files['windows-amd64']),
      file_size_bytes: fs.statSync(build.files['windows-amd64']).size,
      build_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
  });

  it('the unsigned Windows build carries no signature at all, not a broken one', async () => {
    const result = await runToFiles('osslsigncode', [
      'verify',
      '-in',
      build.files['windows-amd64'],
    ]);
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('No signature found');
  });

  it('windows-amd64 prints its version under Wine and reads MachineGuid', async () => {
    const env = await newWinePrefix();
    const file = build.files['windows-amd64'];

    const version = await runToFiles(WINE, [file, 'version', '--json'], env);
    expect(version.code, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout)).toEqual({
      version: VERSION,
      platform: 'windows',
      arch: 'amd64',
    });

    const identity = await runToFiles(WINE, [file, 'identity', '--json'], env);
    expect(identity.code, identity.stderr).toBe(0);
    await stopWine(env);
    const expected = wineMachineGuid(env.WINEPREFIX as string);
    expect(expected).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(JSON.parse(identity.stdout).hardware_id).toBe(expected);
  });
});
