import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failInserts } from '../../../../test/support/failing-writes';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';
import { createKeyAndRequest } from '../../../agent/src/crypto';
import { listAudit } from '../audit/store';
import { x509 } from '../ca';
import { createClient } from '../clients/store';
import type { TokenKind } from '../db/schema';
import { createInstallToken, revokeInstallToken } from '../tokens/service';
import { findActiveWindowsToken, findToken } from '../tokens/store';

/** The bootstrap rules, on each store the server supports, against a real database. */
describe.each(STORES)('bootstrap rules on %s', (store) => {
  let server: TestServer;
  let clientId: string;
  /** Moves the server's clock, to expire tokens without waiting. */
  let offsetMs = 0;

  beforeAll(async () => {
    server = await startServerOn(store, {
      clock: () => new Date(Date.now() + offsetMs),
      env: { OPTRALIS_CERT_LIFETIME_DAYS: '30', OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0' },
    });
    clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function token(maxUsage = 1, kind: TokenKind = 'command', client = clientId) {
    return createInstallToken(server.ctx, { clientId: client, createdBy: 'test', kind, maxUsage });
  }

  function post(payload: Record<string, unknown>) {
    return server.publicApp.inject({ method: 'POST', url: '/api/public/bootstrap', payload });
  }

  async function usage(id: string) {
    return (await findToken(server.ctx.db, id, null))?.usage_count;
  }

  async function count(table: 'machines' | 'certificates', tokenId: string) {
    const row = await server.ctx.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('token_id', '=', tokenId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('runs on the store it names', () => {
    expect(server.ctx.dialect).toBe(store);
  });

  it('50 parallel bootstraps against max_usage 5 enroll exactly 5 machines', async () => {
    const made = await token(5);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post({ token: made.value, hostname: `race-${i}`, hardware_id: `race-hw-${i}` }),
      ),
    );
    const codes = answers.map((answer) => answer.statusCode);
    expect(codes.filter((code) => code === 200)).toHaveLength(5);
    const refused = answers.filter((answer) => answer.statusCode !== 200);
    expect(refused).toHaveLength(45);
    for (const answer of refused) {
      expect(answer.statusCode).toBe(403);
      expect(answer.json().error.code).toBe('token_exhausted');
      expect(answer.body).not.toContain(made.value);
    }
    expect(await usage(made.row.id)).toBe(5);
    expect(await count('machines', made.row.id)).toBe(5);
    expect(await count('certificates', made.row.id)).toBe(5);
  });

  it('a refused request spends nothing and names the field', async () => {
    const made = await token(1);
    const { csrPem } = await createKeyAndRequest('ignored');
    const bad: [Record<string, unknown>, string, string][] = [
      [{ hostname: 'a', arch: 'mips' }, 'invalid_arch', 'arch'],
      [{ hostname: 'a', csr: csrPem.replace(/[A-Z]{8}/, 'AAAAAAAA') }, 'invalid_csr', 'csr'],
      [{ hostname: 'a', csr: 'not a pem' }, 'invalid_csr', 'csr'],
      [{ hostname: '' }, 'invalid_hostname', 'hostname'],
      [{ hostname: 'web\u000001' }, 'invalid_hostname', 'hostname'],
      [{ hostname: 'x'.repeat(254) }, 'invalid_hostname', 'hostname'],
      [{ hostname: ' padded' }, 'invalid_hostname', 'hostname'],
      [{ hostname: 'half\uD800pair' }, 'invalid_hostname', 'hostname'],
      [{ hostname: 'a', hardware_id: 'h'.repeat(129) }, 'validation_failed', 'hardware_id'],
    ];
    for (const [fields, code, field] of bad) {
      const answer = await post({ token: made.value, ...fields });
      expect(answer.statusCode, JSON.stringify(fields).slice(0, 80)).toBe(400);
      expect(answer.json().error).toMatchObject({ code, field });
      expect(answer.body).not.toContain(made.value);
    }
    expect(await usage(made.row.id)).toBe(0);
    const reasons = (await listAudit(server.ctx.db, clientId, 1000))
      .filter((event) => event.subject === made.row.id && event.action === 'token.refused')
      .map((event) => JSON.parse(event.details ?? '{}').reason);
    expect(reasons.sort()).toEqual(bad.map(([, code]) => code).sort());

    const good = await post({ token: made.value, hostname: 'after-refusals', hardware_id: 'ar' });
    expect(good.statusCode).toBe(200);
    expect(await usage(made.row.id)).toBe(1);
  });

  it('a failure while writing rolls the whole enrollment back', async () => {
    const made = await token(1);
    const restore = await failInserts(server, 'certificates');
    try {
      const answer = await post({ token: made.value, hostname: 'doomed', hardware_id: 'doomed' });
      expect(answer.statusCode).toBe(500);
      expect(answer.json().error.code).toBe('internal_error');
    } finally {
      await restore();
    }
    expect(await usage(made.row.id)).toBe(0);
    expect(await count('machines', made.row.id)).toBe(0);

    const retry = await post({ token: made.value, hostname: 'doomed', hardware_id: 'doomed' });
    expect(retry.statusCode).toBe(200);
  });

  it('a retried request gets the same machine back and spends no extra use', async () => {
    const made = await token(1);
    const { csrPem } = await createKeyAndRequest('retry');
    const request = {
      token: made.value,
      hostname: 'retry-01',
      hardware_id: 'retry-hw',
      csr: csrPem,
    };
    const first = await post(request);
    expect(first.statusCode).toBe(200);
    const again = await post(request);
    expect(again.statusCode).toBe(200);
    expect(again.json().machine_id).toBe(first.json().machine_id);
    expect(again.json().certificate).toBe(first.json().certificate);
    expect(await usage(made.row.id)).toBe(1);

    // Another key with the spent token is a new install, and there is no use left for it.
    const other = await createKeyAndRequest('retry');
    const second = await post({ ...request, csr: other.csrPem });
    expect(second.json().error?.code).toBe('token_exhausted');
  });

  it('a reinstall reuses the machine; a clone is refused and audited', async () => {
    const first = await token(1);
    const original = await post({ token: first.value, hostname: 'Pc-Compta', hardware_id: 'hw-r' });
    expect(original.statusCode).toBe(200);
    const machineId = original.json().machine_id as string;
    const oldSerial = new x509.X509Certificate(original.json().certificate).serialNumber;

    const second = await token(1);
    const reinstall = await post({
      token: second.value,
      hostname: 'pc-compta',
      hardware_id: 'hw-r',
    });
    expect(reinstall.statusCode).toBe(200);
    expect(reinstall.json().machine_id).toBe(machineId);
    const old = await server.ctx.db
      .selectFrom('certificates')
      .select('revoked_at')
      .where('serial', '=', oldSerial.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(old.revoked_at).not.toBeNull();
    const machines = await server.ctx.db
      .selectFrom('machines')
      .select(['id', 'hostname'])
      .where('hardware_id', '=', 'hw-r')
      .execute();
    expect(machines).toEqual([{ id: machineId, hostname: 'pc-compta' }]);

    const third = await token(1);
    const clone = await post({ token: third.value, hostname: 'pc-clone', hardware_id: 'hw-r' });
    expect(clone.statusCode).toBe(409);
    expect(clone.json().error.code).toBe('clone_suspected');
    expect(await usage(third.row.id)).toBe(0);
    const events = await listAudit(server.ctx.db, clientId);
    const suspected = events.find((event) => event.action === 'machine.clone_suspected');
    expect(suspected?.subject).toBe(machineId);
    expect(JSON.parse(suspected?.details ?? '{}')).toMatchObject({
      hostname: 'pc-clone',
      existing_hostname: 'pc-compta',
    });
  });

  it('once the first machine is revoked, its hardware id enrolls under another name', async () => {
    const made = await token(0);
    const first = await post({ token: made.value, hostname: 'pc-old', hardware_id: 'hw-moved' });
    expect(first.statusCode).toBe(200);
    const firstId: string = first.json().machine_id;
    const early = await post({ token: made.value, hostname: 'pc-new', hardware_id: 'hw-moved' });
    expect(early.json().error.code).toBe('clone_suspected');

    const session = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const revoked = await server.publicApp.inject({
      method: 'DELETE',
      url: `/api/machines/${firstId}`,
      headers: { authorization: `Bearer ${session}` },
    });
    expect(revoked.statusCode).toBe(204);

    const next = await post({ token: made.value, hostname: 'pc-new', hardware_id: 'hw-moved' });
    expect(next.statusCode).toBe(200);
    expect(next.json().machine_id).not.toBe(firstId);
    const machines = await server.ctx.db
      .selectFrom('machines')
      .select(['id', 'hostname', 'revoked_at'])
      .where('hardware_id', '=', 'hw-moved')
      .orderBy('hostname')
      .execute();
    expect(machines).toEqual([
      { id: next.json().machine_id, hostname: 'pc-new', revoked_at: null },
      { id: firstId, hostname: 'pc-old', revoked_at: expect.any(String) },
    ]);
    expect(await usage(made.row.id)).toBe(2);
  });

  it('concurrent first installs of one hardware id make one machine, never a silent twin', async () => {
    const made = await token(0);
    const clones = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post({ token: made.value, hostname: `twin-${i}`, hardware_id: 'twin-hw' }),
      ),
    );
    expect(clones.filter((answer) => answer.statusCode === 200)).toHaveLength(1);
    for (const answer of clones.filter((a) => a.statusCode !== 200)) {
      expect(answer.json().error.code).toBe('clone_suspected');
    }
    // Every refusal is audited, including those that lost the race inside the transaction.
    const cloneEvents = (await listAudit(server.ctx.db, clientId, 1000)).filter(
      (event) =>
        event.action === 'machine.clone_suspected' &&
        JSON.parse(event.details ?? '{}').hostname?.startsWith('twin-'),
    );
    expect(cloneEvents).toHaveLength(9);
    expect(await usage(made.row.id)).toBe(1);

    const again = await token(0);
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        post({ token: again.value, hostname: 'same-pc', hardware_id: 'same-hw' }),
      ),
    );
    expect(runs.map((answer) => answer.statusCode)).toEqual(Array(6).fill(200));
    const ids = new Set(runs.map((answer) => answer.json().machine_id));
    expect(ids.size).toBe(1);
    const active = await server.ctx.db
      .selectFrom('certificates')
      .select('serial')
      .where('machine_id', '=', [...ids][0] as string)
      .where('revoked_at', 'is', null)
      .execute();
    expect(active).toHaveLength(1);
  });

  it('stores a 253-character host name exactly and keeps it out of the certificate', async () => {
    const made = await token(1);
    const hostname = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(hostname).toHaveLength(253);
    const answer = await post({ token: made.value, hostname, hardware_id: 'long-name' });
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    const row = await server.ctx.db
      .selectFrom('machines')
      .select('hostname')
      .where('id', '=', body.machine_id)
      .executeTakeFirstOrThrow();
    expect(row.hostname).toBe(hostname);
    const certificate = new x509.X509Certificate(body.certificate);
    expect(certificate.subject).toBe(`CN=${clientId}:${body.machine_id}, O=Optralis`);
  });

  it('dates certificates a few minutes back and for the configured lifetime', async () => {
    const made = await token(1);
    const before = Date.now();
    const answer = await post({ token: made.value, hostname: 'dated', hardware_id: 'dated' });
    const certificate = new x509.X509Certificate(answer.json().certificate);
    const skew = before - certificate.notBefore.getTime();
    expect(skew).toBeGreaterThanOrEqual(4 * 60_000);
    expect(skew).toBeLessThanOrEqual(6 * 60_000);
    const lifetimeDays = (certificate.notAfter.getTime() - before) / 86_400_000;
    expect(Math.round(lifetimeDays)).toBe(30);
  });

  it('refuses expired and revoked tokens; revoking keeps enrolled machines', async () => {
    const made = await token(0);
    const enrolled = await post({ token: made.value, hostname: 'kept', hardware_id: 'kept' });
    expect(enrolled.statusCode).toBe(200);

    await revokeInstallToken(server.ctx, made.row.id, clientId, 'test');
    const revoked = await post({ token: made.value, hostname: 'late', hardware_id: 'late' });
    expect(revoked.json().error.code).toBe('token_revoked');
    const machine = await server.ctx.db
      .selectFrom('machines')
      .select('revoked_at')
      .where('id', '=', enrolled.json().machine_id)
      .executeTakeFirstOrThrow();
    expect(machine.revoked_at).toBeNull();

    const short = await token(1);
    offsetMs = 16 * 60_000;
    try {
      const expired = await post({ token: short.value, hostname: 'slow', hardware_id: 'slow' });
      expect(expired.statusCode).toBe(403);
      expect(expired.json().error.code).toBe('token_expired');
    } finally {
      offsetMs = 0;
    }
    expect(await usage(short.row.id)).toBe(0);

    const unknown = await post({ token: 'opt_not-a-token', hostname: 'x' });
    expect(unknown.json().error.code).toBe('token_invalid');
  });

  it('records created, used (with the machine), refused (with the reason) and revoked', async () => {
    const made = await token(1);
    const used = await post({ token: made.value, hostname: 'audited', hardware_id: 'audited' });
    await post({ token: made.value, hostname: 'audited-2', hardware_id: 'audited-2' });
    await revokeInstallToken(server.ctx, made.row.id, null, 'test');

    const events = (await listAudit(server.ctx.db, clientId, 1000)).filter(
      (event) => event.subject === made.row.id,
    );
    const byAction = (action: string) => events.filter((event) => event.action === action);
    expect(byAction('token.created')).toHaveLength(1);
    expect(JSON.parse(byAction('token.used')[0]?.details ?? '{}')).toMatchObject({
      machine_id: used.json().machine_id,
      hostname: 'audited',
    });
    expect(JSON.parse(byAction('token.refused')[0]?.details ?? '{}')).toMatchObject({
      reason: 'token_exhausted',
    });
    expect(byAction('token.revoked')).toHaveLength(1);
    for (const event of events) expect(JSON.stringify(event)).not.toContain(made.value);
  });

  it('reports the Windows mass-deployment progress until the quota is reached', async () => {
    const other = (await createClient(server.ctx.db, 'Windows Co', new Date())).id;
    const made = await token(2, 'windows_installer', other);
    expect(made.row.platform).toBe('windows');
    const hours = (Date.parse(made.row.expires_at) - Date.now()) / 3_600_000;
    expect(Math.round(hours)).toBe(24);

    const active = () => findActiveWindowsToken(server.ctx.db, other, server.ctx.clock());
    expect((await active())?.id).toBe(made.row.id);

    const linux = await post({ token: made.value, hostname: 'l', platform: 'linux' });
    expect(linux.json().error.code).toBe('token_platform_mismatch');
    for (const name of ['win-1', 'win-2']) {
      const answer = await post({ token: made.value, hostname: name, platform: 'windows' });
      expect(answer.statusCode).toBe(200);
    }
    expect(await active()).toBeUndefined();

    const unlimited = await token(0, 'windows_installer', other);
    expect((await active())?.id).toBe(unlimited.row.id);
    offsetMs = 24 * 3_600_000 + 1000;
    try {
      expect(await active()).toBeUndefined();
    } finally {
      offsetMs = 0;
    }
  });
});
