import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, optralis } from '../../../../test/support/processes';
import { tempDir } from '../../../../test/support/server';
import { ConfigError, loadConfig } from '../config';
import { initReleaseKey, loadReleaseKey, RELEASE_PRIVATE_KEY_FILE, signStatement } from './signing';

describe('the release signing key', () => {
  it('is made once, private key 0600, and kept when asked again', () => {
    const dir = path.join(tempDir('release-key'), 'release-key');
    const made = initReleaseKey(dir);
    expect(made.status).toBe('created');
    expect(fs.statSync(path.join(dir, RELEASE_PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const again = initReleaseKey(dir);
    expect(again).toEqual({ status: 'exists', dir, keyId: made.keyId });
    expect(loadReleaseKey(dir).info.key_id).toBe(made.keyId);
  });

  it('signs statements that its public half verifies, and nothing else', () => {
    const key = loadReleaseKey(
      (() => {
        const dir = tempDir('release-key-sign');
        initReleaseKey(dir);
        return dir;
      })(),
    );
    const signed = signStatement(key, {
      type: 'optralis-release/v1',
      version: '1.0.0',
      channel: 'stable',
      platform: 'linux',
      architecture: 'amd64',
      sha256: 'a'.repeat(64),
      size: 1,
      url: 'https://example.test/a',
      issued_at: '2026-01-01T00:00:00.000Z',
      expires_at: '2026-01-02T00:00:00.000Z',
      sequence: 1,
    });
    const publicKey = crypto.createPublicKey(key.info.public_key);
    const verify = (text: string) =>
      crypto.verify(null, Buffer.from(text), publicKey, Buffer.from(signed.signature, 'base64'));
    expect(verify(signed.statement)).toBe(true);
    expect(verify(signed.statement.replace('1.0.0', '1.0.1'))).toBe(false);
    expect(signed.key_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is never kept inside the CA directory', () => {
    const dataDir = tempDir('release-config');
    const refuse = (env: Record<string, string>) =>
      expect(() => loadConfig({ OPTRALIS_DATA_DIR: dataDir, ...env })).toThrow(ConfigError);
    refuse({ OPTRALIS_RELEASE_KEY_DIR: path.join(dataDir, 'ca') });
    refuse({ OPTRALIS_RELEASE_KEY_DIR: path.join(dataDir, 'ca', 'release') });
    refuse({
      OPTRALIS_CA_DIR: path.join(dataDir, 'secrets'),
      OPTRALIS_RELEASE_KEY_DIR: path.join(dataDir, 'secrets'),
    });
    expect(loadConfig({ OPTRALIS_DATA_DIR: dataDir }).releaseKeyDir).toBe(
      path.join(dataDir, 'release-key'),
    );
  });

  it('is made and shown by `optralis release-key`', async () => {
    const env = { OPTRALIS_DATA_DIR: tempDir('release-cli') };
    const made = json<{ status: string; key_id: string; dir: string }>(
      await optralis(['--json', 'release-key', 'init'], env),
    );
    expect(made.status).toBe('created');
    expect(made.dir).toBe(path.join(env.OPTRALIS_DATA_DIR, 'release-key'));
    const again = json<{ status: string }>(await optralis(['--json', 'release-key', 'init'], env));
    expect(again.status).toBe('exists');
    const shown = json<{ key_id: string; public_key: string }>(
      await optralis(['--json', 'release-key', 'show'], env),
    );
    expect(shown.key_id).toBe(made.key_id);
    expect(shown.public_key).toContain('BEGIN PUBLIC KEY');
    expect(JSON.stringify(shown)).not.toContain('PRIVATE');
  });
});
