import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  agentVersionSchema,
  availableDownloadsResponseSchema,
  listAgentVersionsResponseSchema,
} from '@optralis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRequest } from '../../../../test/support/https';
import { enrollTestMachine, newClient } from '../../../../test/support/machines';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { listAudit } from '../audit/store';
import { createUser } from '../auth/store';
import { createClient } from '../clients/store';
import { revokeMachine } from '../machines/store';

const HASH = 'c0ffee'.padEnd(64, '0');
const PASSWORD = 'a-long-enough-password';

const release = (overrides: Record<string, unknown> = {}) => ({
  version: '1.2.0',
  channel: 'stable',
  platform: 'linux',
  architecture: 'amd64',
  checksum_sha256: HASH.toUpperCase(),
  file_size_bytes: 15_000_000,
  download_url: 'https://optralis.example/downloads/stable/optralis-agent-linux-amd64-v1.2.0',
  ...overrides,
});

type FileEntry = { filename: string; checksum_sha256: string; file_size_bytes: number };

/** Writes an agent binary into a channel directory and describes it as metadata would. */
function writeBinary(dir: string, channel: string, filename: string, content: string): FileEntry {
  fs.mkdirSync(path.join(dir, channel), { recursive: true });
  fs.writeFileSync(path.join(dir, channel, filename), content);
  return {
    filename,
    // Upper case, as PowerShell writes it: the reader keeps lower case.
    checksum_sha256: crypto.createHash('sha256').update(content).digest('hex').toUpperCase(),
    file_size_bytes: Buffer.byteLength(content),
  };
}

function linuxMetadata(
  version: string,
  channel: string,
  architectures: { amd64?: FileEntry; arm64?: FileEntry } = {
    amd64: {
      filename: `optralis-agent-linux-amd64-v${version}`,
      checksum_sha256: 'AB'.repeat(32),
      file_size_bytes: 1234,
    },
  },
) {
  return { version, channel, platform: 'linux', architectures, build_time: '2025-12-17T10:30:00Z' };
}

describe.each(STORES)('on %s, the agent versions admin API', (store) => {
  let server: TestServer;
  const sessions: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServerOn(store, { env: { OPTRALIS_LOGIN_RATE: '0' } });
    const now = new Date();
    const clientId = (await createClient(server.ctx.db, 'Acme', now)).id;
    for (const role of ['client_admin', 'read_only'] as const) {
      const email = `${role}@acme.test`;
      await createUser(server.ctx.db, { email, password: PASSWORD, role, clientId }, now);
      sessions[role] = await login(server.publicApp, email, PASSWORD);
    }
    sessions.super = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
  });

  afterAll(async () => {
    await server?.stop();
  });

  function call(method: string, url: string, session?: string, payload?: unknown) {
    return server.publicApp.inject({
      method: method as 'GET',
      url,
      headers: session ? { authorization: `Bearer ${session}` } : {},
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  it('creates, lists, edits, deactivates and deletes a version, with audit events', async () => {
    const created = await call('POST', '/api/agent-versions', sessions.super, release());
    expect(created.statusCode, created.body).toBe(201);
    const version = agentVersionSchema.parse(created.json());
    expect(version).toMatchObject({
      version: '1.2.0',
      checksum_sha256: HASH,
      is_active: true,
      rollout_percent: 100,
      rollout_paused: false,
    });

    const again = await call('POST', '/api/agent-versions', sessions.super, release());
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('release_exists');

    const edited = await call('PATCH', `/api/agent-versions/${version.id}`, sessions.super, {
      is_active: false,
      rollout_percent: 10,
      file_size_bytes: 16_000_000,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({
      is_active: false,
      rollout_percent: 10,
      file_size_bytes: 16_000_000,
    });

    const other = await call(
      'POST',
      '/api/agent-versions',
      sessions.super,
      release({ version: '1.3.0' }),
    );
    const clash = await call('PATCH', `/api/agent-versions/${other.json().id}`, sessions.super, {
      version: '1.2.0',
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe('release_exists');

    const listed = await call('GET', '/api/agent-versions?platform=linux', sessions.read_only);
    expect(listed.statusCode).toBe(200);
    const row = listAgentVersionsResponseSchema
      .parse(listed.json())
      .versions.find((item) => item.id === version.id);
    expect(row).toMatchObject({ is_active: false, machine_count: 0, file_size_bytes: 16_000_000 });
    expect(row?.created_at).toBe(version.created_at);

    const deleted = await call('DELETE', `/api/agent-versions/${version.id}`, sessions.super);
    expect(deleted.statusCode).toBe(204);
    const gone = await call('DELETE', `/api/agent-versions/${version.id}`, sessions.super);
    expect(gone.json().error.code).toBe('not_found');

    const actions = (await listAudit(server.ctx.db, null))
      .filter((event) => event.subject === version.id)
      .map((event) => event.action);
    expect(actions.sort()).toEqual(['release.created', 'release.deleted', 'release.updated']);
  });

  it('counts, per release, the machines that last heartbeated at its version and target', async () => {
    const made: Record<string, string> = {};
    for (const [version, platform, architecture] of [
      ['5.0.0', 'linux', 'amd64'],
      ['5.0.0', 'linux', 'arm64'],
      ['5.0.0', 'windows', 'amd64'],
      ['5.1.0', 'linux', 'amd64'],
    ] as const) {
      const answer = await call(
        'POST',
        '/api/agent-versions',
        sessions.super,
        release({ version, platform, architecture }),
      );
      expect(answer.statusCode, answer.body).toBe(201);
      made[`${version} ${platform} ${architecture}`] = answer.json().id;
    }
    const counted = await newClient(server, 'Counted');
    const other = await newClient(server, 'Other');
    const machines: [string, string, string, string][] = [
      [counted, '5.0.0', 'linux', 'amd64'],
      [counted, '5.0.0', 'linux', 'amd64'],
      [counted, '5.0.0', 'linux', 'arm64'],
      // A version no release of this platform has, and one without any release: counted nowhere.
      [counted, '5.1.0', 'windows', 'amd64'],
      [counted, '4.9.0', 'linux', 'amd64'],
      [other, '5.0.0', 'linux', 'amd64'],
    ];
    const enrolled = [];
    for (const [i, [clientId, version, platform, arch]] of machines.entries()) {
      const machine = await enrollTestMachine(server, clientId, `counted-${i}`);
      // Its version is what it reports, not what it enrolled with: first 1.0.0, then this one.
      for (const reported of ['1.0.0', version]) {
        const answer = await agentRequest(
          `${server.agentApiUrl}/heartbeat`,
          { ca: server.ctx.ca.certificatePem, cert: machine.cert, key: machine.key },
          { body: { version: reported, platform, arch } },
        );
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      }
      enrolled.push(machine);
    }
    const email = 'reader@counted.test';
    await createUser(
      server.ctx.db,
      { email, password: PASSWORD, role: 'read_only', clientId: counted },
      new Date(),
    );
    const reader = await login(server.publicApp, email, PASSWORD);
    const counts = async (session: string) => {
      const listed = await call('GET', '/api/agent-versions', session);
      expect(listed.statusCode, listed.body).toBe(200);
      const versions = listAgentVersionsResponseSchema.parse(listed.json()).versions;
      return Object.fromEntries(
        Object.entries(made).map(([name, id]) => [
          name,
          versions.find((v) => v.id === id)?.machine_count,
        ]),
      );
    };
    expect(await counts(sessions.super as string)).toEqual({
      '5.0.0 linux amd64': 3,
      '5.0.0 linux arm64': 1,
      '5.0.0 windows amd64': 0,
      '5.1.0 linux amd64': 0,
    });
    // A client's reader counts only its own machines.
    expect(await counts(reader)).toEqual({
      '5.0.0 linux amd64': 2,
      '5.0.0 linux arm64': 1,
      '5.0.0 windows amd64': 0,
      '5.1.0 linux amd64': 0,
    });

    // A revoked machine no longer counts; one that updated counts for its new version.
    const [first, second] = enrolled;
    await revokeMachine(server.ctx.db, first?.machineId ?? '', null, new Date());
    const updated = await agentRequest(
      `${server.agentApiUrl}/heartbeat`,
      { ca: server.ctx.ca.certificatePem, cert: second?.cert ?? '', key: second?.key ?? '' },
      { body: { version: '5.1.0', platform: 'linux', arch: 'amd64' } },
    );
    expect(updated.status).toBe(200);
    expect(await counts(sessions.super as string)).toMatchObject({
      '5.0.0 linux amd64': 1,
      '5.1.0 linux amd64': 1,
    });
    for (const id of Object.values(made)) {
      await call('DELETE', `/api/agent-versions/${id}`, sessions.super);
    }
  });

  it('refuses bad fields with the field named', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ version: '1.2' }, 'version'],
      [{ channel: 'nightly' }, 'channel'],
      [{ checksum_sha256: 'abc' }, 'checksum_sha256'],
      [{ download_url: 'file:///etc/passwd' }, 'download_url'],
      [{ file_size_bytes: 0 }, 'file_size_bytes'],
      [{ rollout_percent: 101 }, 'rollout_percent'],
      [{ surprise: true }, ''],
    ];
    for (const [change, field] of cases) {
      const answer = await call('POST', '/api/agent-versions', sessions.super, release(change));
      expect(answer.statusCode, JSON.stringify(change)).toBe(400);
      expect(answer.json().error.code).toBe('validation_failed');
      if (field) expect(answer.json().error.field).toBe(field);
    }
  });

  it('lets only super-admins change versions; everyone signed in may read them', async () => {
    const made = await call(
      'POST',
      '/api/agent-versions',
      sessions.super,
      release({ version: '2.0.0' }),
    );
    const id = made.json().id as string;
    for (const session of [sessions.client_admin, sessions.read_only]) {
      const attempts = [
        call('POST', '/api/agent-versions', session, release({ version: '9.9.9' })),
        call('PATCH', `/api/agent-versions/${id}`, session, { is_active: false }),
        call('DELETE', `/api/agent-versions/${id}`, session),
        call('GET', '/api/agent-versions/available-downloads', session),
        call('POST', '/api/agent-versions/import', session, {}),
        call('PUT', '/api/agent/requirements', session, { min_windows_version: 1 }),
      ];
      for (const answer of await Promise.all(attempts)) {
        expect(answer.statusCode).toBe(403);
        expect(answer.json().error.code).toBe('forbidden');
      }
      expect((await call('GET', '/api/agent-versions', session)).statusCode).toBe(200);
    }
    expect((await call('GET', '/api/agent-versions')).statusCode).toBe(401);
    const still = await call('GET', '/api/agent-versions', sessions.super);
    expect(still.json().versions.find((v: { id: string }) => v.id === id).is_active).toBe(true);
  });

  it('lists what the metadata files offer, names bad files and imports the rest', async () => {
    const dir = server.config.downloadsDir;
    for (const channel of ['stable', 'beta'])
      fs.mkdirSync(path.join(dir, channel), { recursive: true });
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const files = {
      amd64: writeBinary(dir, 'stable', 'optralis-agent-linux-amd64-v3.0.0', 'amd64 agent 3.0.0'),
      arm64: writeBinary(dir, 'stable', 'optralis-agent-linux-arm64-v3.0.0', 'arm64 agent'),
    };
    fs.writeFileSync(
      path.join(dir, 'stable/metadata-linux.json'),
      Buffer.concat([bom, Buffer.from(JSON.stringify(linuxMetadata('3.0.0', 'stable', files)))]),
    );
    fs.writeFileSync(path.join(dir, 'stable/metadata-windows.json'), '{"version": ');
    fs.writeFileSync(
      path.join(dir, 'beta/metadata-windows.json'),
      Buffer.from(JSON.stringify({ version: '3.1.0-beta.1' }), 'utf16le'),
    );
    fs.writeFileSync(
      path.join(dir, 'beta/metadata-linux.json'),
      JSON.stringify(linuxMetadata('3.1.0-beta.1', 'stable')),
    );

    const listed = await call('GET', '/api/agent-versions/available-downloads', sessions.super);
    expect(listed.statusCode, listed.body).toBe(200);
    const body = availableDownloadsResponseSchema.parse(listed.json());
    expect(body.downloads.map((d) => `${d.channel} ${d.architecture} ${d.version}`)).toEqual([
      'stable amd64 3.0.0',
      'stable arm64 3.0.0',
    ]);
    expect(body.downloads[0]).toMatchObject({
      checksum_sha256: files.amd64.checksum_sha256.toLowerCase(),
      imported: false,
      download_url: `${server.publicUrl}/downloads/stable/optralis-agent-linux-amd64-v3.0.0`,
      source: 'stable/metadata-linux.json',
    });
    expect(body.errors.map((e) => [e.file, e.problem])).toEqual([
      ['stable/metadata-windows.json', 'bad_json'],
      ['beta/metadata-windows.json', 'utf16'],
      ['beta/metadata-linux.json', 'invalid'],
    ]);
    expect(body.errors[2]?.message).toContain('beta/metadata-linux.json: channel:');

    const imported = await call('POST', '/api/agent-versions/import', sessions.super, {
      architecture: 'amd64',
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json().imported).toHaveLength(1);
    expect(imported.json().imported[0]).toMatchObject({
      version: '3.0.0',
      architecture: 'amd64',
      release_date: '2025-12-17T10:30:00Z',
      file_size_bytes: files.amd64.file_size_bytes,
    });
    expect(imported.json().errors).toHaveLength(3);

    const all = await call('POST', '/api/agent-versions/import', sessions.super, {});
    expect(all.json().imported.map((v: { architecture: string }) => v.architecture)).toEqual([
      'arm64',
    ]);
    expect(all.json().already_imported).toEqual(['stable/optralis-agent-linux-amd64-v3.0.0']);
    const after = availableDownloadsResponseSchema.parse(
      (await call('GET', '/api/agent-versions/available-downloads', sessions.super)).json(),
    );
    expect(after.downloads.every((d) => d.imported && d.agent_version_id)).toBe(true);
  });

  it('imports only files that are there with their size and SHA-256, naming each bad one', async () => {
    const dir = server.config.downloadsDir;
    const windows = (channel: string, entry: FileEntry) => ({
      version: '3.2.0-beta.1',
      channel,
      platform: 'windows',
      architecture: 'amd64',
      ...entry,
      build_time: '2025-12-18T10:30:00Z',
    });
    const good = writeBinary(dir, 'beta', 'optralis-agent-v3.2.0-beta.1.exe', 'windows agent');
    fs.writeFileSync(
      path.join(dir, 'beta/metadata-windows.json'),
      JSON.stringify(windows('beta', good)),
    );
    const shorter = writeBinary(dir, 'stable', 'optralis-agent-v3.2.0-beta.1.exe', 'cut');
    fs.writeFileSync(
      path.join(dir, 'stable/metadata-windows.json'),
      JSON.stringify(windows('stable', { ...shorter, file_size_bytes: 4 })),
    );
    const amd64 = writeBinary(dir, 'beta', 'optralis-agent-linux-amd64-v3.2.0-beta.1', 'tampered');
    const arm64 = {
      filename: 'optralis-agent-linux-arm64-v3.2.0-beta.1',
      checksum_sha256: crypto.createHash('sha256').update('arm64 agent').digest('hex'),
      file_size_bytes: 11,
    };
    const described = { ...amd64, checksum_sha256: 'EE'.repeat(32) };
    fs.writeFileSync(
      path.join(dir, 'beta/metadata-linux.json'),
      JSON.stringify(linuxMetadata('3.2.0-beta.1', 'beta', { amd64: described, arm64 })),
    );

    const first = await call('POST', '/api/agent-versions/import', sessions.super, {});
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().imported).toEqual([
      expect.objectContaining({ channel: 'beta', platform: 'windows', version: '3.2.0-beta.1' }),
    ]);
    const problems = (first.json().errors as { file: string; problem: string; message: string }[])
      .map((e) => [e.file, e.problem, e.message])
      .sort();
    expect(problems).toEqual([
      [
        'beta/optralis-agent-linux-amd64-v3.2.0-beta.1',
        'checksum_mismatch',
        'beta/optralis-agent-linux-amd64-v3.2.0-beta.1: does not match the SHA-256 of the ' +
          'metadata (described by beta/metadata-linux.json)',
      ],
      [
        'beta/optralis-agent-linux-arm64-v3.2.0-beta.1',
        'missing',
        'beta/optralis-agent-linux-arm64-v3.2.0-beta.1: is not in the downloads directory ' +
          '(described by beta/metadata-linux.json)',
      ],
      [
        'stable/optralis-agent-v3.2.0-beta.1.exe',
        'size_mismatch',
        'stable/optralis-agent-v3.2.0-beta.1.exe: is 3 bytes, the metadata says 4 ' +
          '(described by stable/metadata-windows.json)',
      ],
    ]);

    // The missing file arrives: it is imported; the others stay refused.
    fs.writeFileSync(path.join(dir, 'beta', arm64.filename), 'arm64 agent');
    const second = await call('POST', '/api/agent-versions/import', sessions.super, {});
    expect(second.json().imported.map((v: { architecture: string }) => v.architecture)).toEqual([
      'arm64',
    ]);
    expect(
      second
        .json()
        .errors.map((e: { problem: string }) => e.problem)
        .sort(),
    ).toEqual(['checksum_mismatch', 'size_mismatch']);
    const versions = (await call('GET', '/api/agent-versions', sessions.super)).json().versions;
    expect(
      versions
        .filter((v: { version: string }) => v.version === '3.2.0-beta.1')
        .map((v: { channel: string; platform: string; architecture: string }) =>
          [v.channel, v.platform, v.architecture].join(' '),
        )
        .sort(),
    ).toEqual(['beta linux arm64', 'beta windows amd64']);
  });

  it('checks the file of a version that points into this server’s downloads, as an import does', async () => {
    const dir = server.config.downloadsDir;
    const name = 'optralis-agent-linux-amd64-v4.0.0';
    const url = `${server.publicUrl}/downloads/stable/${name}`;
    const { filename: _, ...file } = writeBinary(dir, 'stable', name, 'amd64 agent 4.0.0');
    const version = (overrides: Record<string, unknown> = {}) =>
      release({ version: '4.0.0', download_url: url, ...file, ...overrides });
    const refusal = async (method: string, target: string, body: unknown) => {
      const answer = await call(method, target, sessions.super, body);
      expect(answer.statusCode, answer.body).toBe(409);
      const { code, message, field } = answer.json().error;
      expect(code).toBe('release_file_mismatch');
      return [field, message];
    };

    expect(await refusal('POST', '/api/agent-versions', version({ file_size_bytes: 18 }))).toEqual([
      'file_size_bytes',
      `stable/${name}: is 17 bytes, the version says 18`,
    ]);
    expect(
      await refusal('POST', '/api/agent-versions', version({ checksum_sha256: 'EE'.repeat(32) })),
    ).toEqual(['checksum_sha256', `stable/${name}: does not match the SHA-256 of the version`]);
    const elsewhere = [
      [
        `${server.publicUrl}/downloads/stable/optralis-agent-linux-amd64-v4.0.1`,
        'v4.0.1',
        'is not in',
      ],
      [`${server.publicUrl}/downloads/nightly/${name}`, `nightly/${name}`, 'is not a path'],
      [
        `${server.publicUrl}/downloads/stable/..%2F..%2Fsecret`,
        'stable/../../secret',
        'is not a name',
      ],
    ];
    for (const [target, shown, says] of elsewhere) {
      const [field, message] = await refusal(
        'POST',
        '/api/agent-versions',
        version({
          download_url: target,
        }),
      );
      expect(field).toBe('download_url');
      expect(message).toContain(shown);
      expect(message).toContain(says);
    }
    const listed = (await call('GET', '/api/agent-versions', sessions.super)).json().versions;
    expect(listed.filter((v: { version: string }) => v.version === '4.0.0')).toEqual([]);

    // "Importer depuis serveur" fills the form from the listing; the save is this POST. A file
    // replaced between the listing and the save is refused, as the import would refuse it.
    fs.writeFileSync(
      path.join(dir, 'stable/metadata-linux.json'),
      JSON.stringify(linuxMetadata('4.0.0', 'stable', { amd64: { filename: name, ...file } })),
    );
    const offered = availableDownloadsResponseSchema
      .parse((await call('GET', '/api/agent-versions/available-downloads', sessions.super)).json())
      .downloads.find((d) => d.filename === name);
    expect(offered?.download_url).toBe(url);
    const form = {
      version: offered?.version,
      channel: offered?.channel,
      platform: offered?.platform,
      architecture: offered?.architecture,
      checksum_sha256: offered?.checksum_sha256,
      file_size_bytes: offered?.file_size_bytes,
      download_url: offered?.download_url,
    };
    fs.writeFileSync(path.join(dir, 'stable', name), 'AMD64 AGENT 4.0.0');
    expect(await refusal('POST', '/api/agent-versions', form)).toEqual([
      'checksum_sha256',
      `stable/${name}: does not match the SHA-256 of the version`,
    ]);
    fs.writeFileSync(path.join(dir, 'stable', name), 'amd64 agent 4.0.0');
    const created = await call('POST', '/api/agent-versions', sessions.super, form);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;

    // Editing the file's values is checked again; other edits are not held up by the file.
    expect(
      await refusal('PATCH', `/api/agent-versions/${id}`, { checksum_sha256: 'AB'.repeat(32) }),
    ).toEqual(['checksum_sha256', `stable/${name}: does not match the SHA-256 of the version`]);
    fs.rmSync(path.join(dir, 'stable', name));
    expect(
      await refusal('PATCH', `/api/agent-versions/${id}`, {
        file_size_bytes: file.file_size_bytes,
      }),
    ).toEqual(['download_url', `stable/${name}: is not in the downloads directory`]);
    const deactivated = await call('PATCH', `/api/agent-versions/${id}`, sessions.super, {
      is_active: false,
    });
    expect(deactivated.statusCode, deactivated.body).toBe(200);
    // A URL on another server is not this server's to check.
    const external = await call('PATCH', `/api/agent-versions/${id}`, sessions.super, {
      download_url: `https://mirror.example/downloads/stable/${name}`,
    });
    expect(external.statusCode, external.body).toBe(200);
  });

  it('serves the latest version with the spec’s defaults, and refuses unknown values', async () => {
    await call('POST', '/api/agent-versions', sessions.super, {
      ...release({ platform: 'windows', version: '4.0.0' }),
      download_url: 'https://optralis.example/downloads/stable/optralis-agent-v4.0.0.exe',
    });
    await call('POST', '/api/agent-versions', sessions.super, {
      ...release({ platform: 'windows', version: '4.1.0', rollout_percent: 10 }),
    });
    const latest = await call('GET', '/api/agent/latest-version');
    expect(latest.statusCode, latest.body).toBe(200);
    expect(latest.json()).toMatchObject({
      version: '4.0.0',
      channel: 'stable',
      platform: 'windows',
      architecture: 'amd64',
    });
    const none = await call('GET', '/api/agent/latest-version?channel=beta&platform=linux');
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('no_release');
    for (const [query, code] of [
      ['channel=nightly', 'invalid_channel'],
      ['platform=macos', 'invalid_platform'],
      ['architecture=riscv64', 'invalid_arch'],
      ['colour=blue', 'validation_failed'],
    ]) {
      const answer = await call('GET', `/api/agent/latest-version?${query}`);
      expect(answer.statusCode, query).toBe(400);
      expect(answer.json().error.code).toBe(code);
    }
  });

  it('serves the OS requirements publicly, with the default until an admin changes them', async () => {
    expect((await call('GET', '/agent/requirements')).json()).toEqual({
      min_windows_version: 17763,
      message: null,
    });
    const changed = await call('PUT', '/api/agent/requirements', sessions.super, {
      min_windows_version: 19045,
      message: 'Windows 10 22H2 au minimum',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await call('GET', '/agent/requirements')).json()).toEqual({
      min_windows_version: 19045,
      message: 'Windows 10 22H2 au minimum',
    });
    const bad = await call('PUT', '/api/agent/requirements', sessions.super, {
      min_windows_version: 'ten',
    });
    expect(bad.json().error.field).toBe('min_windows_version');
  });
});
