import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ReleaseStatement } from '@optralis/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadsServer, serveDownloads } from '../../../../test/support/downloads';
import { tempDir } from '../../../../test/support/server';
import { signStatement } from '../../../server/src/releases/signing';
import { createLog } from '../log';
import { currentArch, currentPlatform } from '../platform';
import { readPending, readState, writePending } from './state';
import { previousPathOf, temporaryPathOf } from './swap';
import { UPDATE_RESTART_EXIT_CODE, Updater } from './updater';
import { verifyOffer } from './verify';
import { runWatchdog, WatchdogError } from './watchdog';

const NEW = Buffer.from('#!/bin/sh\necho new binary\n'.padEnd(4096, '#'));
const quiet = createLog('error', () => {});

describe('the agent’s self-update', () => {
  let files: DownloadsServer;
  let url: string;
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const keyId = 'a1b2c3d4e5f60718';
  const releaseKey = {
    privateKey,
    info: {
      algorithm: 'ed25519' as const,
      public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      key_id: keyId,
    },
  };
  let dir: string;
  let binary: string;
  let spawned: string[];

  beforeAll(async () => {
    const downloads = tempDir('update-files');
    fs.mkdirSync(path.join(downloads, 'stable'));
    fs.writeFileSync(path.join(downloads, 'stable/agent-v1.1.0'), NEW);
    files = await serveDownloads(downloads);
    url = `${files.url}/downloads/stable/agent-v1.1.0`;
  });
  afterAll(() => files.close());

  beforeEach(() => {
    files.replace.clear();
    files.ranges.length = 0;
    dir = tempDir('update');
    binary = path.join(dir, 'optralis-agent');
    fs.writeFileSync(binary, 'old binary', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'release-key.json'), JSON.stringify(releaseKey.info));
    spawned = [];
  });

  function statement(overrides: Partial<ReleaseStatement> = {}): ReleaseStatement {
    const now = Date.now();
    return {
      type: 'optralis-release/v1',
      version: '1.1.0',
      channel: 'stable',
      platform: currentPlatform(),
      architecture: currentArch(),
      sha256: crypto.createHash('sha256').update(NEW).digest('hex'),
      size: NEW.length,
      url,
      issued_at: new Date(now).toISOString(),
      expires_at: new Date(now + 86_400_000).toISOString(),
      sequence: 100,
      ...overrides,
    };
  }

  function offer(value: ReleaseStatement = statement()) {
    const signed = signStatement(releaseKey, value);
    return {
      version: value.version,
      download_url: value.url,
      checksum_sha256: value.sha256,
      ...signed,
    };
  }

  function updater(version = '1.0.0', extra: Record<string, unknown> = {}) {
    return new Updater({
      configDir: dir,
      log: quiet,
      apply: true,
      binary,
      version,
      spawnWatchdog: (previous) => spawned.push(previous),
      ...extra,
    });
  }

  async function offerTo(target: Updater, value: unknown) {
    try {
      await target.afterHeartbeat({ status: 'ok', update: value });
      return undefined;
    } catch (error) {
      return error as { exitCode?: number; message: string };
    }
  }

  it('verifies, downloads, swaps keeping the previous binary, and exits to be restarted', async () => {
    const stopped = await offerTo(updater(), offer());
    expect(stopped?.exitCode).toBe(UPDATE_RESTART_EXIT_CODE);
    expect(fs.readFileSync(binary)).toEqual(NEW);
    expect(fs.readFileSync(`${binary}.previous`, 'utf8')).toBe('old binary');
    expect(spawned).toEqual([`${binary}.previous`]);
    expect(readPending(dir)).toMatchObject({ from_version: '1.0.0', to_version: '1.1.0' });
    expect(readState(dir).last_sequence).toBe(100);
    expect(fs.existsSync(temporaryPathOf(binary))).toBe(false);
  });

  it('resumes a partial download of the same release with a range request', async () => {
    const temporary = temporaryPathOf(binary);
    fs.writeFileSync(temporary, NEW.subarray(0, 1000));
    fs.writeFileSync(`${temporary}.json`, JSON.stringify({ sha256: statement().sha256 }));
    expect((await offerTo(updater(), offer()))?.exitCode).toBe(UPDATE_RESTART_EXIT_CODE);
    expect(files.ranges).toEqual(['stable/agent-v1.1.0 bytes=1000-']);
    expect(fs.readFileSync(binary)).toEqual(NEW);
  });

  it('refuses a tampered file or a wrong size, keeps the binary, reports once, retries later', async () => {
    files.replace.set('stable/agent-v1.1.0', Buffer.from(NEW).fill(0x41, 100, 200));
    expect(await offerTo(updater(), offer())).toBeUndefined();
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
    expect(readState(dir).report).toBe('1.1.0: the downloaded file does not match its SHA-256');
    expect(fs.existsSync(temporaryPathOf(binary))).toBe(false);
    const requests = files.requests();
    expect(await offerTo(updater(), offer())).toBeUndefined();
    expect(files.requests()).toBe(requests);

    files.replace.set('stable/agent-v1.1.0', Buffer.concat([NEW, Buffer.from('more')]));
    const bigger = statement({ sha256: 'f'.repeat(64), version: '1.2.0' });
    expect(await offerTo(updater(), offer(bigger))).toBeUndefined();
    expect(readState(dir).report).toContain('larger than 4096 bytes');
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
  });

  it('undoes the swap and keeps running when the watchdog cannot be started', async () => {
    const lines: string[] = [];
    const failing = updater('1.0.0', {
      log: createLog('info', (line: string) => lines.push(line)),
      spawnWatchdog: () => {
        throw new WatchdogError('systemd-run exited with 1: Access denied');
      },
    });
    // No restart: a new binary that could not start would have nothing to roll it back.
    expect(await offerTo(failing, offer())).toBeUndefined();
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
    expect(readPending(dir)).toBeUndefined();
    const report =
      '1.1.0: cannot start the update watchdog (systemd-run exited with 1: Access denied); ' +
      '1.0.0 kept';
    expect(readState(dir).report).toBe(report);
    expect(failing.heartbeatFields()).toEqual({ update_error: report });
    expect(lines.filter((line) => line.includes('update abandoned'))).toHaveLength(1);

    // Tried again later, not at every heartbeat.
    const requests = files.requests();
    expect(await offerTo(updater(), offer())).toBeUndefined();
    expect(files.requests()).toBe(requests);
    expect(readState(dir).failed[0]?.retry_after).toBeDefined();
  });

  it('refuses a download shorter than the signed size, and removes what it got', async () => {
    files.replace.set('stable/agent-v1.1.0', NEW.subarray(0, 1000));
    expect(await offerTo(updater(), offer())).toBeUndefined();
    expect(readState(dir).report).toBe('1.1.0: the download is 1000 bytes, not 4096');
    expect(readState(dir).failed.map((entry) => entry.version)).toEqual(['1.1.0']);
    expect(fs.existsSync(temporaryPathOf(binary))).toBe(false);
    expect(fs.existsSync(`${temporaryPathOf(binary)}.json`)).toBe(false);
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
    expect(spawned).toEqual([]);
  });

  it('refuses bad signatures, unknown keys, expired and replayed statements without downloading', async () => {
    const before = files.requests();
    const good = offer();
    const otherArch = currentArch() === 'amd64' ? 'arm64' : 'amd64';
    const cases: [string, unknown, string][] = [
      [
        'bad_signature',
        { ...good, statement: good.statement.replace('1.1.0', '1.1.1') },
        'the signature of the 1.1.0 offer is wrong',
      ],
      [
        'bad_signature',
        { ...good, signature: Buffer.alloc(64).toString('base64') },
        'the signature of the 1.1.0 offer is wrong',
      ],
      [
        'unsigned',
        { version: '1.1.0', download_url: url, checksum_sha256: 'a'.repeat(64) },
        'the offer of 1.1.0 is not signed',
      ],
      [
        'unknown_key',
        { ...good, key_id: 'ffffffffffffffff' },
        'the offer of 1.1.0 is signed by an unknown key',
      ],
      [
        'expired',
        offer(
          statement({
            issued_at: '2020-01-01T00:00:00.000Z',
            expires_at: '2020-01-02T00:00:00.000Z',
          }),
        ),
        'the signed statement of 1.1.0 has expired',
      ],
      [
        'wrong_target',
        offer(statement({ architecture: otherArch })),
        `the 1.1.0 release is for ${currentPlatform()}/${otherArch}`,
      ],
      ['not_newer', offer(statement({ version: '1.0.0' })), '1.0.0 is not newer than 1.0.0'],
      [
        'not_newer',
        offer(statement({ version: '1.0.0-rc.1' })),
        '1.0.0-rc.1 is not newer than 1.0.0',
      ],
    ];
    for (const [code, value, message] of cases) {
      // Each case starts from nothing, so that a report left by the one before cannot pass.
      fs.rmSync(path.join(dir, 'update-state.json'), { force: true });
      expect(await offerTo(updater(), value), code).toBeUndefined();
      expect(readState(dir).report, code).toBe(message);
    }
    fs.writeFileSync(path.join(dir, 'update-state.json'), JSON.stringify({ last_sequence: 200 }));
    expect(await offerTo(updater(), offer())).toBeUndefined();
    expect(readState(dir).report).toBe(
      'the signed statement of 1.1.0 is older than one already seen',
    );
    expect(files.requests()).toBe(before);
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
  });

  it('the new version confirms at its first good heartbeat; the report is sent once', async () => {
    await offerTo(updater(), offer());
    const next = updater('1.1.0');
    next.start();
    expect(readPending(dir)?.pid).toBe(process.pid);
    await next.afterHeartbeat({ status: 'ok' });
    next.stop();
    expect(readPending(dir)).toBeUndefined();
    expect(await runWatchdog(dir, quiet)).toBe('confirmed');
    expect(fs.readFileSync(binary)).toEqual(NEW);
  });

  it('the watchdog restores the previous binary when the new one never confirms', async () => {
    await offerTo(updater(), offer());
    const pending = readPending(dir);
    writePending(dir, {
      ...(pending as NonNullable<typeof pending>),
      pid: 424242,
      deadline: new Date(Date.now() + 300).toISOString(),
    });
    const stopped: number[] = [];
    expect(await runWatchdog(dir, quiet, { stop: (pid) => stopped.push(pid), pollMs: 50 })).toBe(
      'restored',
    );
    expect(stopped).toEqual([424242]);
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
    const state = readState(dir);
    expect(state.report).toBe(
      '1.1.0 did not come up and send a heartbeat in time; 1.0.0 was restored',
    );
    const old = updater('1.0.0');
    expect(old.heartbeatFields()).toEqual({ update_error: state.report });
    await old.afterHeartbeat({ status: 'ok', update: offer() });
    expect(old.heartbeatFields()).toEqual({});
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
  });

  it('a new version that runs but cannot heartbeat restores the previous one itself', async () => {
    await offerTo(updater(), offer());
    const exits: number[] = [];
    const next = updater('1.1.0', {
      confirmWindowMs: 50,
      exit: (code: number) => exits.push(code),
    });
    next.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(exits).toEqual([UPDATE_RESTART_EXIT_CODE]);
    expect(fs.readFileSync(binary, 'utf8')).toBe('old binary');
    expect(readState(dir).report).toContain('1.1.0 did not send a heartbeat in time');
  });

  it('keeps the previous binary under a name its platform can start', () => {
    expect(previousPathOf('/usr/local/bin/optralis-agent')).toBe(
      '/usr/local/bin/optralis-agent.previous',
    );
    expect(previousPathOf('C:\\Program Files\\Optralis Agent\\optralis-agent.exe')).toBe(
      'C:\\Program Files\\Optralis Agent\\optralis-agent.previous.exe',
    );
  });

  it('never accepts a statement changed in any way after signing', () => {
    const signed = offer();
    const context = {
      now: new Date(),
      platform: currentPlatform(),
      architecture: currentArch(),
      version: '1.0.0',
      lastSequence: 0,
    };
    expect(verifyOffer(signed, releaseKey.info, context).ok).toBe(true);
    fc.assert(
      fc.property(
        fc.nat({ max: signed.statement.length - 1 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        (at, text) => {
          const changed = signed.statement.slice(0, at) + text + signed.statement.slice(at + 1);
          fc.pre(changed !== signed.statement);
          expect(verifyOffer({ ...signed, statement: changed }, releaseKey.info, context).ok).toBe(
            false,
          );
        },
      ),
    );
  });
});
