import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../packages/server/src/auth/store';
import { createClient } from '../../packages/server/src/clients/store';
import { findMachine } from '../../packages/server/src/machines/store';
import { createInstallToken, isTokenActive } from '../../packages/server/src/tokens/service';
import { findToken, listTokens } from '../../packages/server/src/tokens/store';
import { STORES, startServerOn } from '../support/postgres';
import { type IntactChecks, type Owned, ROUTE_MATRIX, type Role } from '../support/route-matrix';
import type { TestServer } from '../support/server';
import { login } from '../support/sessions';

const RANK: Record<Role, number> = { read_only: 0, client_admin: 1, super_admin: 2 };
const PASSWORD = 'a-long-enough-password';

describe.each(STORES)(
  'on %s, a user of one client never reaches another client’s data',
  (store) => {
    let server: TestServer;
    let owned: Owned;
    let otherClientId: string;
    /** Session tokens by user name. */
    const sessions: Record<string, string> = {};

    const checks: IntactChecks = {
      async tokenActive(id) {
        const row = await findToken(server.ctx.db, id, null);
        return row !== undefined && isTokenActive(row, new Date());
      },
      async machineActive(id) {
        return (await findMachine(server.ctx.db, id, null))?.revoked_at === null;
      },
      async machineOnStable(id) {
        return (await findMachine(server.ctx.db, id, null))?.channel === 'stable';
      },
    };

    beforeAll(async () => {
      server = await startServerOn(store, { env: { OPTRALIS_LOGIN_RATE: '0' } });
      const now = new Date();
      const ownerId = (await createClient(server.ctx.db, 'Owner', now)).id;
      otherClientId = (await createClient(server.ctx.db, 'Other', now)).id;
      const users: [string, Role, string | null][] = [
        ['owner-admin', 'client_admin', ownerId],
        ['owner-read', 'read_only', ownerId],
        ['other-admin', 'client_admin', otherClientId],
        ['other-read', 'read_only', otherClientId],
      ];
      for (const [name, role, clientId] of users) {
        const email = `${name}@example.test`;
        await createUser(server.ctx.db, { email, password: PASSWORD, role, clientId }, now);
        sessions[name] = await login(server.publicApp, email, PASSWORD);
      }
      sessions.super = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');

      const base = { clientId: ownerId, createdBy: 'test' };
      const token = await createInstallToken(server.ctx, { ...base, kind: 'command', maxUsage: 5 });
      const windows = await createInstallToken(server.ctx, {
        ...base,
        kind: 'windows_installer',
        maxUsage: 10,
      });
      const enrolled = await server.publicApp.inject({
        method: 'POST',
        url: '/api/public/bootstrap',
        payload: { token: token.value, hostname: 'owner-pc', hardware_id: 'owner-hw' },
      });
      expect(enrolled.statusCode).toBe(200);
      owned = {
        clientId: ownerId,
        tokenId: token.row.id,
        windowsTokenId: windows.row.id,
        machineId: enrolled.json().machine_id,
      };
    });

    afterAll(async () => {
      await server?.stop();
    });

    function call(route: (typeof ROUTE_MATRIX)[number], session: string | undefined) {
      const body = route.body?.(owned);
      return server.publicApp.inject({
        method: route.method,
        url: route.url(owned),
        headers: session ? { authorization: `Bearer ${session}` } : {},
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
    }

    const ownedIds = () => [owned.clientId, owned.tokenId, owned.windowsTokenId, owned.machineId];

    describe.each(ROUTE_MATRIX)('$method $name', (route) => {
      it('needs a session', async () => {
        const answer = await call(route, undefined);
        expect(answer.statusCode).toBe(401);
        expect(answer.json().error.code).toBe('unauthorized');
      });

      it.each([
        ['other-admin', 'client_admin'],
        ['other-read', 'read_only'],
      ] as const)('as %s: not found, forbidden or absent', async (user, role) => {
        const ownerTokensBefore = (await listTokens(server.ctx.db, owned.clientId)).length;
        const answer = await call(route, sessions[user]);

        if (RANK[role] < RANK[route.role]) {
          expect(answer.statusCode).toBe(403);
          expect(answer.json().error.code).toBe('forbidden');
        } else if (route.kind === 'object') {
          expect(answer.statusCode).toBe(404);
          expect(answer.json().error.code).toBe('not_found');
        } else {
          expect(answer.statusCode, answer.body).toBeLessThan(300);
          for (const id of ownedIds()) expect(answer.body).not.toContain(id);
        }

        if (route.intact) expect(await route.intact(owned, checks)).toBe(true);
        expect(await listTokens(server.ctx.db, owned.clientId)).toHaveLength(ownerTokensBefore);
      });
    });

    it('the owner’s users see their objects in every list', async () => {
      for (const route of ROUTE_MATRIX.filter((r) => r.kind === 'list')) {
        const answer = await call(route, sessions['owner-read']);
        if (route.role === 'super_admin') {
          expect(answer.statusCode).toBe(403);
          continue;
        }
        expect(answer.statusCode, route.name).toBe(200);
        expect(
          ownedIds().some((id) => answer.body.includes(id)),
          route.name,
        ).toBe(true);
        expect(answer.body).not.toContain(otherClientId);
      }
    });

    it('a super-admin sees every client, or one client with ?client_id=', async () => {
      const all = await server.publicApp.inject({
        method: 'GET',
        url: '/api/install-tokens',
        headers: { authorization: `Bearer ${sessions.super}` },
      });
      expect(all.body).toContain(owned.tokenId);
      const other = await server.publicApp.inject({
        method: 'GET',
        url: `/api/install-tokens?client_id=${otherClientId}`,
        headers: { authorization: `Bearer ${sessions.super}` },
      });
      expect(other.statusCode).toBe(200);
      expect(other.body).not.toContain(owned.tokenId);
    });

    it('the owner’s administrator can revoke what the others could not', async () => {
      for (const route of ROUTE_MATRIX.filter((r) => r.kind === 'object')) {
        const answer = await call(route, sessions['owner-admin']);
        expect(answer.statusCode, route.name).toBe(204);
        expect(await route.intact?.(owned, checks)).toBe(false);
      }
    });
  },
);
