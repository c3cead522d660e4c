import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLinuxScript } from '../../packages/server/src/installers/linux/render';
import { REPO_ROOT } from '../support/paths';
import { tempDir } from '../support/server';

const HARNESS = path.join(REPO_ROOT, 'test/support/truncation.sh');
const WORKERS = 2;

function harness(args: string[]): Promise<{ ran: number[]; checked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [HARNESS, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`truncation harness exited with ${code}`));
      const ran = [...out.matchAll(/^ran (\d+)$/gm)].map((match) => Number(match[1]));
      resolve({ ran, checked: Number(/^checked (\d+)$/m.exec(out)?.[1]) });
    });
  });
}

function write(name: string, text: string): string {
  const file = path.join(tempDir('truncation'), name);
  fs.writeFileSync(file, text);
  return file;
}

/** Every cut from 0 to the whole file, split among workers; the cuts that ran anything. */
async function everyCut(file: string) {
  const parts = await Promise.all(
    Array.from({ length: WORKERS }, (_, worker) =>
      harness(['model', file, String(worker), String(WORKERS)]),
    ),
  );
  return {
    ran: parts.flatMap((part) => part.ran).sort((a, b) => a - b),
    checked: parts.reduce((sum, part) => sum + part.checked, 0),
  };
}

/** Cuts worth running through a real pipe: every line start, and each of the last 64 bytes. */
function sampleCuts(text: string): string[] {
  const cuts = new Set<number>();
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) cuts.add(at + 1);
  for (let n = Math.max(0, text.length - 64); n <= text.length; n++) cuts.add(n);
  return [...cuts].sort((a, b) => a - b).map(String);
}

const fakeBase64 = (size: number) => Buffer.alloc(size, 7).toString('base64');

const VARIANTS = {
  'install.sh': () => renderLinuxScript('install', { SERVER_URL: 'https://optralis.example' }),
  'uninstall.sh': () => renderLinuxScript('uninstall', { SERVER_URL: 'https://optralis.example' }),
  'install-optralis-agent.sh (certificate mode)': () =>
    renderLinuxScript('install', {
      SERVER_URL: 'https://optralis.example',
      INSTALLER_MODE: 'certificate',
      INSTALLER_ARCH: 'arm64',
      CLIENT_ID: '01CLIENT',
      MACHINE_ID: '01MACHINE',
      AGENT_API_URL: 'https://agents.optralis.example',
      EMBEDDED_CA: fakeBase64(700),
      EMBEDDED_CA_SHA256: 'a'.repeat(64),
      EMBEDDED_CERTIFICATE: fakeBase64(900),
      EMBEDDED_CERTIFICATE_SHA256: 'b'.repeat(64),
      EMBEDDED_KEY: fakeBase64(250),
      EMBEDDED_KEY_SHA256: 'c'.repeat(64),
      EMBEDDED_RELEASE_KEY: fakeBase64(200),
      EMBEDDED_RELEASE_KEY_SHA256: 'd'.repeat(64),
    }),
};

describe('a script cut off while it is piped into bash', () => {
  it.each(['install.sh', 'uninstall.sh'] as const)(
    '%s runs nothing, wherever it is cut, until its last line is there',
    async (name) => {
      const text = VARIANTS[name]();
      const file = write(name, text);
      const cuts = await everyCut(file);
      expect(cuts.checked).toBe(text.length + 1);
      // Only the whole script runs, with or without its final line feed.
      expect(cuts.ran).toEqual([text.length - 1, text.length]);
    },
  );

  it('a personalized script runs nothing when cut in the part the server filled in', async () => {
    const generic = VARIANTS['install.sh']();
    const text = VARIANTS['install-optralis-agent.sh (certificate mode)']();
    const end = text.indexOf('# END SETTINGS');
    // Outside the settings its text is the generic script's, whose every cut is tested above.
    expect(text.slice(end)).toBe(generic.slice(generic.indexOf('# END SETTINGS')));
    expect(text.slice(0, text.indexOf('# BEGIN SETTINGS'))).toBe(
      generic.slice(0, generic.indexOf('# BEGIN SETTINGS')),
    );
    const file = write('install-optralis-agent.sh', text.slice(0, end));
    const cuts = await everyCut(file);
    expect(cuts.checked).toBe(end + 1);
    expect(cuts.ran).toEqual([]);
  });

  it.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])(
    '%s runs nothing through a real pipe either (every line start, the last 64 bytes)',
    async (name) => {
      const text = VARIANTS[name]();
      const file = write('script.sh', text);
      const cuts = sampleCuts(text);
      const half = Math.ceil(cuts.length / 2);
      const parts = await Promise.all([
        harness(['pipe', file, ...cuts.slice(0, half)]),
        harness(['pipe', file, ...cuts.slice(half)]),
      ]);
      expect(parts[0].checked + parts[1].checked).toBe(cuts.length);
      expect([...parts[0].ran, ...parts[1].ran]).toEqual([text.length - 1, text.length]);
    },
  );
});
