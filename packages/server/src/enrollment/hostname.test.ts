import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startServerOn } from '../../../../test/support/postgres';
import type { TestServer } from '../../../../test/support/server';
import { createClient } from '../clients/store';
import { findMachine } from '../machines/store';
import { createInstallToken } from '../tokens/service';

describe.each(STORES)('on %s, any host name a machine reports', (store) => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startServerOn(store, {
      env: { OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0', OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '0' },
    });
    const clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    const made = await createInstallToken(server.ctx, {
      clientId,
      createdBy: 'test',
      kind: 'command',
      ttlMinutes: 60,
      maxUsage: 0,
    });
    token = made.value;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('is either stored exactly or refused with invalid_hostname, never a 500', async () => {
    const hostnames = fc.oneof(
      fc.string({ maxLength: 300, unit: 'grapheme' }),
      fc.string({ maxLength: 260, unit: 'binary' }),
      fc.domain(),
      // Surrogate halves alone and in pairs: only well-formed text can be stored exactly.
      fc.string({ maxLength: 20, unit: fc.constantFrom('a', '-', '\uD83D', '\uDE00', '\uDC00') }),
    );
    await fc.assert(
      fc.asyncProperty(hostnames, async (hostname) => {
        const answer = await server.publicApp.inject({
          method: 'POST',
          url: '/api/public/bootstrap',
          payload: { token, hostname },
        });
        if (answer.statusCode === 200) {
          const machine = await findMachine(server.ctx.db, answer.json().machine_id, null);
          expect(machine?.hostname).toBe(hostname);
          expect(hostname.length).toBeLessThanOrEqual(253);
        } else {
          expect(answer.statusCode).toBe(400);
          expect(answer.json().error).toMatchObject({
            code: 'invalid_hostname',
            field: 'hostname',
          });
          expect(answer.body).not.toContain(token);
        }
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ['a right-to-left override', 'web\u202Egnp.01'],
    ['a zero-width space', 'web\u200B01'],
    ['a byte order mark', '\uFEFFweb01'],
    ['a line separator', 'web01\u2028db02'],
    ['a paragraph separator', 'web01\u2029'],
  ])('refuses a host name with %s', async (_, hostname) => {
    const answer = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token, hostname },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({ code: 'invalid_hostname', field: 'hostname' });
  });

  it('keeps a host name in another script exactly', async () => {
    const hostname = 'сервер-01.例え';
    const answer = await server.publicApp.inject({
      method: 'POST',
      url: '/api/public/bootstrap',
      payload: { token, hostname },
    });
    expect(answer.statusCode).toBe(200);
    const machine = await findMachine(server.ctx.db, answer.json().machine_id, null);
    expect(machine?.hostname).toBe(hostname);
  });
});
