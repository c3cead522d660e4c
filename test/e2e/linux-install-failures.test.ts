import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../packages/server/src/clients/store';
import { renderLinuxScript } from '../../packages/server/src/installers/linux/render';
import { personalizedInstallScript } from '../../packages/server/src/installers/linux/service';
import { hashToken } from '../../packages/server/src/tokens/secret';
import { createInstallToken, revokeInstallToken } from '../../packages/server/src/tokens/service';
import { findToken, findTokenByHash } from '../../packages/server/src/tokens/store';
import { type AgentBuild, ensureAgentBuild } from '../support/agent-build';
import {
  FAKE_SYSTEMCTL,
  type FakeSystemd,
  fakeSystemd,
  inMountNamespace,
  q,
  sh,
  snapshot,
  tokenFile,
  until,
} from '../support/linux-install';
import { decodeBase64, scriptSettings } from '../support/linux-scripts';
import { startTestServer, type TestServer, tempDir } from '../support/server';

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

describe('what the Linux installer refuses, and what it leaves behind then', () => {
  let build: AgentBuild<'linux-amd64'>;
  let server: TestServer;
  let downloads: string;
  let metadataFile: string;
  let metadata: string;
  const running: FakeSystemd[] = [];

  beforeAll(async () => {
    build = await ensureAgentBuild({
      version: '1.0.0',
      channel: 'stable',
      targets: ['linux-amd64'],
    });
    // A downloads directory of the test's own, whose metadata the tests change.
    downloads = tempDir('downloads');
    fs.mkdirSync(path.join(downloads, 'stable'));
    const binary = build.files['linux-amd64'];
    fs.linkSync(binary, path.join(downloads, 'stable', path.basename(binary)));
    metadataFile = path.join(downloads, 'stable', 'metadata-linux.json');
    metadata = fs.readFileSync(build.metadata.linux as string, 'utf8');
    fs.writeFileSync(metadataFile, metadata);
    server = await startTestServer({ env: { OPTRALIS_DOWNLOADS_DIR: downloads } });
  });

  afterEach(() => {
    for (const systemd of running.splice(0)) systemd.stop();
    fs.writeFileSync(metadataFile, metadata);
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function newToken(maxUsage = 5) {
    const client = await createClient(server.ctx.db, `Client ${crypto.randomUUID()}`, new Date());
    const made = await createInstallToken(server.ctx, {
      clientId: client.id,
      createdBy: 'test',
      kind: 'command',
      maxUsage,
    });
    return { clientId: client.id, token: made.value, tokenId: made.row.id };
  }

  function systemdFor(root: string) {
    const systemd = fakeSystemd(root);
    running.push(systemd);
    return systemd;
  }

  function install(root: string, args: string, env: Record<string, string>) {
    return sh(`curl -fsSL ${server.publicUrl}/install.sh | bash -s -- --root ${root} ${args}`, env);
  }

  /**
   * A personalized token-mode script as the dashboard hands it out, saved as a file, after
   * `change` rewrote its text; `uses()` reads how often its token was spent.
   */
  async function personalized(change: (script: string) => string = (script) => script) {
    const client = await createClient(server.ctx.db, `Client ${crypto.randomUUID()}`, new Date());
    const text = await personalizedInstallScript(server.ctx, {
      clientId: client.id,
      userId: 'admin',
      arch: 'amd64',
      mode: 'token',
      channel: 'stable',
      maxUsage: 1,
      sourceIp: '127.0.0.1',
    });
    const token = decodeBase64(scriptSettings(text).EMBEDDED_TOKEN);
    const script = path.join(tempDir('download'), 'install-optralis-agent.sh');
    fs.writeFileSync(script, change(text), { mode: 0o755 });
    const uses = async () => (await findTokenByHash(server.ctx.db, hashToken(token)))?.usage_count;
    return { script, token, uses };
  }

  /** Replaces the value of one setting of a rendered script. */
  function setting(script: string, name: string, value: string): string {
    const line = new RegExp(`^( *${name}=)'[^']*'$`, 'm');
    expect(script).toMatch(line);
    return script.replace(line, `$1'${value}'`);
  }

  /** A root holding an agent whose configuration is damaged: enrolling again needs a token. */
  function damagedInstall(): string {
    const root = tempDir('root');
    fs.mkdirSync(`${root}/usr/local/bin`, { recursive: true });
    fs.copyFileSync(build.files['linux-amd64'], `${root}/usr/local/bin/optralis-agent`);
    fs.chmodSync(`${root}/usr/local/bin/optralis-agent`, 0o755);
    fs.mkdirSync(`${root}/etc/optralis-agent`, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${root}/etc/optralis-agent/config.json`, '{"api_url": ', { mode: 0o600 });
    return root;
  }

  it('a token the server refuses shows its message and leaves the machine unchanged', async () => {
    const expired = await newToken();
    await server.ctx.db
      .updateTable('install_tokens')
      .set({ expires_at: new Date(Date.now() - 60_000).toISOString() })
      .where('id', '=', expired.tokenId)
      .execute();
    const revoked = await newToken();
    await revokeInstallToken(server.ctx, revoked.tokenId, null, 'test');
    const exhausted = await newToken(1);
    await server.ctx.db
      .updateTable('install_tokens')
      .set({ usage_count: 1 })
      .where('id', '=', exhausted.tokenId)
      .execute();

    // Each on a fresh machine or on one whose installation needs enrolling again.
    const cases = [
      [expired, 'The install token has expired.', tempDir('root')],
      [revoked, 'The install token has been revoked.', damagedInstall()],
      [exhausted, 'The install token has no uses left.', damagedInstall()],
    ] as const;
    for (const [made, message, root] of cases) {
      const systemd = systemdFor(root);
      const before = snapshot(root);
      const result = await install(root, `--token-file ${q(tokenFile(made.token))}`, systemd.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`enrollment refused: ${message}`);
      expect(`${result.stdout}${result.stderr}`).not.toContain(made.token);
      expect(snapshot(root)).toEqual(before);
      expect(systemd.enabled()).toBe(false);
      expect(systemd.active()).toBe(false);
    }
  });

  /** The environment in which `uname -m` says `machine` and `getconf LONG_BIT` says `bits`. */
  function fakeMachine(machine: string, bits: string): Record<string, string> {
    const fakes = tempDir('fake-bin');
    fs.writeFileSync(
      `${fakes}/uname`,
      '#!/bin/sh\nif [ "$1" = -m ]; then echo "$FAKE_MACHINE"; else exec /bin/uname "$@"; fi\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(`${fakes}/getconf`, '#!/bin/sh\necho "$FAKE_BITS"\n', { mode: 0o755 });
    return { PATH: `${fakes}:${process.env.PATH}`, FAKE_MACHINE: machine, FAKE_BITS: bits };
  }

  it('stops before any download on a machine the agent does not run on, saying why', async () => {
    const { token } = await newToken();
    const file = tokenFile(token);

    const cases: [string, string, string][] = [
      [
        'armv7l',
        '32',
        'this machine is armv7l; the Optralis agent runs on amd64 (x86_64) and arm64',
      ],
      ['i686', '32', 'this machine is i686'],
      ['riscv64', '64', 'this machine is riscv64'],
      ['x86_64', '32', 'the kernel is 64-bit (x86_64) but the programs are 32-bit'],
      ['aarch64', '32', 'the kernel is 64-bit (aarch64) but the programs are 32-bit'],
    ];
    for (const [machine, bits, message] of cases) {
      const root = tempDir('root');
      const result = await install(
        root,
        `--token-file ${q(file)} --no-service`,
        fakeMachine(machine, bits),
      );
      expect(result.code, machine).toBe(1);
      expect(result.stderr).toContain(message);
      expect(result.stdout).not.toContain('Reading the stable release');
      expect(fs.readdirSync(root)).toEqual([]);
    }

    const arm = renderLinuxScript('install', {
      SERVER_URL: server.publicUrl,
      INSTALLER_MODE: 'token',
      INSTALLER_ARCH: 'arm64',
    });
    const script = path.join(tempDir('download'), 'install-optralis-agent.sh');
    fs.writeFileSync(script, arm, { mode: 0o755 });
    const root = tempDir('root');
    const result = await sh(`${q(script)} --root ${root} --no-service`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'this installer is for arm64 machines and this one is amd64 (x86_64)',
    );
  });

  it('reads x86_64 and amd64 as amd64, aarch64 and arm64 as arm64, and installs that build', async () => {
    const { clientId, token, tokenId } = await newToken(10);
    const file = tokenFile(token);
    for (const machine of ['x86_64', 'amd64']) {
      const root = tempDir('root');
      const result = await install(
        root,
        `--token-file ${q(file)} --no-service`,
        fakeMachine(machine, '64'),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Optralis agent installer: linux/amd64');
      expect(result.stdout).toContain('Downloading optralis-agent 1.0.0 for linux/amd64');
      expect(sha256(fs.readFileSync(`${root}/usr/local/bin/optralis-agent`))).toBe(
        sha256(fs.readFileSync(build.files['linux-amd64'])),
      );
    }
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(2);

    // An arm64 machine has the GNU C loader for arm64; this amd64 host is shown one, a stand-in
    // file (the installer only looks for it), in a copy of /lib64 mounted for the one run.
    const lib64 = tempDir('lib64');
    for (const name of fs.readdirSync('/lib64')) {
      fs.symlinkSync(fs.realpathSync(`/lib64/${name}`), `${lib64}/${name}`);
    }
    fs.writeFileSync(`${lib64}/ld-linux-aarch64.so.1`, '');
    const onArm = (root: string, machine: string) =>
      sh(
        inMountNamespace(
          `mount --bind ${q(lib64)} /lib64`,
          `curl -fsSL ${server.publicUrl}/install.sh | bash -s -- --root ${root} --token-file ${q(file)} --no-service`,
        ),
        fakeMachine(machine, '64'),
      );

    // Nothing published for arm64 yet: the installer says so, having asked for that build only.
    for (const machine of ['aarch64', 'arm64']) {
      const root = tempDir('root');
      const result = await onArm(root, machine);
      expect(result.code, machine).toBe(1);
      expect(result.stdout).toContain('Optralis agent installer: linux/arm64');
      expect(result.stderr).toContain(
        `the stable channel of ${server.publicUrl} has no build for linux/arm64 yet`,
      );
      expect(result.stderr).toContain('nothing was changed on this machine');
      expect(fs.readdirSync(root)).toEqual([]);
    }

    // Once an arm64 build is published, that is the one installed. This host cannot run arm64
    // code, so the published "build" hands over to the amd64 agent.
    const arm = Buffer.from(`#!/bin/sh\nexec ${q(build.files['linux-amd64'])} "$@"\n`);
    const name = 'optralis-agent-linux-arm64-v1.0.0';
    fs.writeFileSync(path.join(downloads, 'stable', name), arm);
    const published = JSON.parse(metadata);
    published.architectures.arm64 = {
      filename: name,
      checksum_sha256: sha256(arm),
      file_size_bytes: arm.length,
    };
    fs.writeFileSync(metadataFile, JSON.stringify(published));
    const root = tempDir('root');
    const result = await onArm(root, 'aarch64');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Downloading optralis-agent 1.0.0 for linux/arm64');
    expect(fs.readFileSync(`${root}/usr/local/bin/optralis-agent`)).toEqual(arm);
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(3);
  });

  it('without the GNU C library (musl, as on Alpine) it names what to add and changes nothing', async () => {
    // This host is amd64 (the suite installs the amd64 build on it): said to be aarch64, it has
    // no GNU C library for that machine, as a musl-only system has none for its own. Its arm64
    // cross libraries, if any, live under /usr/aarch64-linux-gnu, where no program looks.
    const loader = 'ld-linux-aarch64.so.1';
    for (const dir of ['/lib64', '/lib', '/usr/lib64']) {
      expect(fs.existsSync(`${dir}/${loader}`), `${dir}/${loader} on this host`).toBe(false);
    }
    const { clientId, token, tokenId } = await newToken();
    const root = tempDir('root');
    const result = await install(
      root,
      `--token-file ${q(tokenFile(token))} --no-service`,
      fakeMachine('aarch64', '64'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the agent needs the GNU C library (${loader}), which this system does not have`,
    );
    // gcompat alone is not enough: the agent also loads the C++ runtime (readelf -d).
    expect(result.stderr).toContain('(libstdc++.so.6, libgcc_s.so.1)');
    expect(result.stderr).toContain(
      'on Alpine, apk add gcompat libstdc++ libgcc, then run the installer again',
    );
    expect(result.stderr).toContain('nothing was changed on this machine');
    expect(result.stdout).not.toContain('Reading the stable release');
    expect(fs.readdirSync(root)).toEqual([]);
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(0);
  });

  it('refuses a download whose SHA-256 is not the published one, spending no token', async () => {
    const published = JSON.parse(metadata);
    published.architectures.amd64.checksum_sha256 = 'f'.repeat(64);
    fs.writeFileSync(metadataFile, JSON.stringify(published));
    const { clientId, token, tokenId } = await newToken();
    const root = tempDir('root');
    const result = await install(root, `--token-file ${q(tokenFile(token))} --no-service`, {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not the published ${'f'.repeat(64)}`);
    expect(result.stderr).toContain('nothing was changed on this machine');
    expect(fs.readdirSync(root)).toEqual([]);
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(0);
  });

  it('puts the previous agent back when the new one cannot run once installed', async () => {
    const { token } = await newToken();
    const root = tempDir('root');
    const systemd = systemdFor(root);
    const first = await install(root, `--token-file ${q(tokenFile(token))}`, systemd.env);
    expect(first.code, first.stderr).toBe(0);
    // The agent writes its log on its own schedule; each start adds an "agent started" line.
    const log = `${root}/var/log/optralis-agent/agent.log`;
    const starts = () =>
      fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('agent started').length - 1 : 0;
    await until(() => starts() >= 1);
    const before = snapshot(root);
    const logBefore = fs.readFileSync(log, 'utf8');

    // A build that works where the installer checks it but not where it is installed, as on a
    // file system mounted noexec or under a security policy that refuses it.
    const broken = Buffer.from(
      `#!/bin/sh\ncase "$0" in */.optralis-agent.install.*) exec ${q(build.files['linux-amd64'])} "$@" ;; esac\necho "cannot execute binary file" >&2\nexit 126\n`,
    );
    const name = 'optralis-agent-linux-amd64-v1.0.1';
    fs.writeFileSync(path.join(downloads, 'stable', name), broken);
    const published = JSON.parse(metadata);
    published.version = '1.0.1';
    published.architectures.amd64 = {
      filename: name,
      checksum_sha256: sha256(broken),
      file_size_bytes: broken.length,
    };
    fs.writeFileSync(metadataFile, JSON.stringify(published));

    const upgrade = await install(root, '', systemd.env);
    expect(upgrade.code).toBe(1);
    expect(upgrade.stderr).toContain(
      'the installed agent does not run: cannot execute binary file',
    );
    expect(upgrade.stderr).toContain('everything the installer changed was put back');
    // The agent put back is started again and says so in its log, which is kept and only grows;
    // every other file is as it was.
    await until(() => starts() >= 2);
    expect(snapshot(root)).toEqual({
      ...before,
      'var/log/optralis-agent/agent.log': expect.stringMatching(/^file 640 [0-9a-f]{64}$/),
    });
    expect(fs.readFileSync(log, 'utf8').startsWith(logBefore)).toBe(true);
    expect(systemd.enabled()).toBe(true);
    expect(systemd.active()).toBe(true);
  });

  it('works with BusyBox instead of GNU coreutils, curl and getconf (as on Alpine)', async () => {
    const tools = tempDir('busybox');
    const made = await sh(
      `busybox --install -s ${q(tools)} && ln -s "$(command -v bash)" ${q(tools)}/bash`,
    );
    expect(made.code, made.stderr).toBe(0);
    expect(fs.existsSync(`${tools}/curl`)).toBe(false);
    expect(fs.readlinkSync(`${tools}/sha256sum`)).toMatch(/busybox$/);
    const { token } = await newToken();
    const root = tempDir('root');
    const env = { PATH: tools };

    const installed = await sh(
      `wget -qO- ${server.publicUrl}/install.sh | bash -s -- --token-file ${q(tokenFile(token))} --root ${root} --no-service`,
      env,
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('Checksum verified');
    const once = await sh(
      `${root}/usr/local/bin/optralis-agent run --once --config-dir ${root}/etc/optralis-agent`,
      env,
    );
    expect(once.code, once.stderr).toBe(0);

    const removed = await sh(
      `wget -qO- ${server.publicUrl}/uninstall.sh | bash -s -- --root ${root}`,
      env,
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);

    // The personalized script decodes its CA and token with BusyBox's base64 -d.
    const { script, uses } = await personalized();
    const personal = await sh(`${q(script)} --root ${root} --no-service`, env);
    expect(personal.code, personal.stderr).toBe(0);
    expect(personal.stdout).toContain('Enrolled as machine');
    expect(await uses()).toBe(1);
    expect(fs.readFileSync(`${root}/etc/optralis-agent/ca.crt`, 'utf8')).toBe(
      server.ctx.caTrust.bundlePem,
    );
  });

  it('passes a token given with --token to no program it starts', async () => {
    const { token } = await newToken();
    const root = tempDir('root');
    const trace = path.join(tempDir('strace'), 'execve.log');
    const result = await sh(
      `cd ${q(tempDir('download'))} && curl -fsSL ${server.publicUrl}/install.sh > install.sh && strace -f -qq --seccomp-bpf -e trace=execve -s 100000 -o ${q(trace)} bash install.sh --token ${q(token)} --root ${root} --no-service`,
    );
    expect(result.code, result.stderr).toBe(0);
    const execs = fs
      .readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => line.includes('execve('));
    expect(execs.length).toBeGreaterThan(20);
    // The administrator's own command line has it; nothing the script starts does.
    expect(execs.filter((line) => line.includes(token))).toEqual([
      expect.stringContaining('"bash", "install.sh", "--token"'),
    ]);
  });

  it('refuses a personalized script whose embedded certificate is damaged, spending no token', async () => {
    const variants: [string, (script: string) => string][] = [
      ['hash', (script) => setting(script, 'EMBEDDED_CA_SHA256', 'a'.repeat(64))],
      [
        'data',
        (script) => {
          const ca = scriptSettings(script).EMBEDDED_CA as string;
          const flipped = `${ca.slice(0, 40)}${ca[40] === 'A' ? 'B' : 'A'}${ca.slice(41)}`;
          return setting(script, 'EMBEDDED_CA', flipped);
        },
      ],
    ];
    for (const [what, change] of variants) {
      const { script, uses } = await personalized(change);
      const root = tempDir('root');
      const result = await sh(`${q(script)} --root ${root} --no-service`);
      expect(result.code, what).toBe(1);
      expect(result.stderr).toContain('a certificate embedded in this installer is damaged');
      expect(result.stderr).toContain('nothing was changed on this machine');
      expect(fs.readdirSync(root)).toEqual([]);
      expect(await uses()).toBe(0);
    }
  });

  it('a personalized script for a CA the server no longer trusts spends no token', async () => {
    // Another CA, carried intact (its hash matches), as after `optralis ca init --force`.
    const other = execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=Replaced CA',
      '-days',
      '30',
    ]);
    const { script, uses } = await personalized((text) =>
      setting(
        setting(text, 'EMBEDDED_CA', other.toString('base64')),
        'EMBEDDED_CA_SHA256',
        sha256(other),
      ),
    );
    const root = tempDir('root');
    const result = await sh(`${q(script)} --root ${root} --no-service`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'does not trust the certificate authority the installer was made for',
    );
    expect(result.stderr).toContain('everything the installer changed was put back');
    expect(fs.readdirSync(root)).toEqual([]);
    expect(await uses()).toBe(0);
  });

  it('puts everything back when a command fails with status 2 after the install began', async () => {
    // systemctl exits 2 for some failures; only the installer's own usage errors mean
    // "nothing was done yet".
    const failing = path.join(tempDir('systemctl'), 'systemctl');
    fs.writeFileSync(
      failing,
      `#!/bin/sh\nif [ "$1" = restart ]; then echo "restart refused" >&2; exit 2; fi\nexec ${q(FAKE_SYSTEMCTL)} "$@"\n`,
      { mode: 0o755 },
    );
    const { token } = await newToken();
    const root = tempDir('root');
    const systemd = systemdFor(root);
    const result = await install(root, `--token-file ${q(tokenFile(token))}`, {
      ...systemd.env,
      OPTRALIS_SYSTEMCTL: failing,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('restart refused');
    expect(result.stderr).toContain('everything the installer changed was put back');
    expect(fs.readdirSync(root)).toEqual([]);
    expect(systemd.enabled()).toBe(false);

    const usage = await install(root, '--channel nightly', {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--channel must be stable or beta');
    expect(usage.stderr).not.toContain('changed');
  });

  it('names the programs it misses before changing anything; cmp is not one of them', async () => {
    const tools = tempDir('tools');
    const made = await sh(
      `busybox --install -s ${q(tools)} && ln -s "$(command -v bash)" ${q(tools)}/bash && rm ${q(tools)}/sha256sum ${q(tools)}/wget ${q(tools)}/cmp`,
    );
    expect(made.code, made.stderr).toBe(0);
    const { token, tokenId, clientId } = await newToken();
    const root = tempDir('root');
    const script = path.join(tempDir('download'), 'install.sh');
    fs.writeFileSync(script, await (await fetch(`${server.publicUrl}/install.sh`)).text());
    const result = await sh(
      `bash ${q(script)} --token-file ${q(tokenFile(token))} --root ${root} --no-service`,
      { PATH: tools },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('install these programs first: sha256sum curl\n');
    expect(result.stderr).toContain('nothing was changed on this machine');
    expect(fs.readdirSync(root)).toEqual([]);
    expect((await findToken(server.ctx.db, tokenId, clientId))?.usage_count).toBe(0);
  });

  it('uninstall names what it could not remove and fails; run again later, it finishes', async () => {
    const { token } = await newToken();
    const root = tempDir('root');
    const installed = await install(root, `--token-file ${q(tokenFile(token))} --no-service`, {});
    expect(installed.code, installed.stderr).toBe(0);
    const locked = `${root}/etc/optralis-agent/client.key`;
    const uninstall = `curl -fsSL ${server.publicUrl}/uninstall.sh | bash -s -- --root ${root}`;
    const chattr = await sh(`chattr +i ${q(locked)}`);
    expect(chattr.code, chattr.stderr).toBe(0);
    try {
      const removed = await sh(uninstall);
      expect(removed.code).toBe(1);
      expect(removed.stdout).toContain(`Removed program: ${root}/usr/local/bin/optralis-agent`);
      expect(removed.stderr).toContain(
        `could not remove:\n  configuration and certificates: ${root}/etc/optralis-agent\n`,
      );
      expect(fs.existsSync(locked)).toBe(true);
    } finally {
      await sh(`chattr -i ${q(locked)}`);
    }
    const again = await sh(uninstall);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);
  });
});
