import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../packages/server/src/auth/store';
import { createClient } from '../../packages/server/src/clients/store';
import { registeredRoutes } from '../../packages/server/src/http/openapi';
import { findMachine } from '../../packages/server/src/machines/store';
import { createAgentVersion } from '../../packages/server/src/releases/service';
import { createInstallToken, isTokenActive } from '../../packages/server/src/tokens/service';
import { findToken, listTokens } from '../../packages/server/src/tokens/store';
import { STORES, startServerOn } from '../support/postgres';
import { publishWindowsBuild } from '../support/release-files';
import {
  type IntactChecks,
  type MatrixRoute,
  NOT_TENANT_SCOPED,
  type Owned,
  ROUTE_MATRIX,
  type Role,
} from '../support/route-matrix';
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
      // With a metrics token, /metrics is registered too and the walk below covers it.
      const env = {
        OPTRALIS_LOGIN_RATE: '0',
        OPTRALIS_METRICS_TOKEN: 'metrics-token-for-tests-0123456789',
      };
      server = await startServerOn(store, { env });
      // Windows installers are made from the stable build: without one the routes answer 503.
      publishWindowsBuild(server.config.downloadsDir, '1.0.0');
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
      const machineId = enrolled.json().machine_id as string;
      // What the machine's first heartbeat records: the version it runs, counted per version.
      const agentVersion = '1.0.0';
      await server.ctx.db
        .updateTable('machines')
        .set({ agent_version: agentVersion, platform: 'linux', arch: 'amd64' })
        .where('id', '=', machineId)
        .execute();
      const release = {
        version: agentVersion,
        channel: 'stable',
        platform: 'linux',
        architecture: 'amd64',
        checksum_sha256: 'a'.repeat(64),
        file_size_bytes: 1024,
        download_url: 'https://downloads.example.test/optralis-agent-linux-amd64',
        is_active: true,
        rollout_percent: 100,
        rollout_paused: false,
      } as const;
      await createAgentVersion(server.ctx, release, 'test');
      owned = {
        clientId: ownerId,
        tokenId: token.row.id,
        windowsTokenId: windows.row.id,
        machineId,
        agentVersion,
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

    /** Whether an answer shows any of the owner's data. */
    const reveals = (route: MatrixRoute, body: string) =>
      ownedIds().some((id) => body.includes(id)) || (route.reveals?.(body) ?? false);

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
          expect(reveals(route, answer.body)).toBe(false);
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
        expect(reveals(route, answer.body), route.name).toBe(true);
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

    it('the owner’s users read what the others could not', async () => {
      const reads = ROUTE_MATRIX.filter((r) => r.kind === 'object' && r.method === 'GET');
      expect(reads.length).toBeGreaterThan(0);
      for (const route of reads) {
        const answer = await call(route, sessions['owner-read']);
        expect(answer.statusCode, route.name).toBe(200);
      }
    });

    it('the owner’s administrator can revoke what the others could not', async () => {
      for (const route of ROUTE_MATRIX.filter((r) => r.kind === 'object' && r.intact)) {
        const answer = await call(route, sessions['owner-admin']);
        expect(answer.statusCode, route.name).toBe(204);
        expect(await route.intact?.(owned, checks)).toBe(false);
      }
    });

    it('walks every authenticated route of the public listener, or says why not', async () => {
      const routes = registeredRoutes(server.publicApp);
      const registered = routes.map((r) => `${r.method} ${r.url}`);
      const declaresBearer = new Set(
        routes
          .filter((r) => {
            const security = (r.schema as { security?: Record<string, unknown>[] })?.security;
            return security?.some((scheme) => 'bearer' in scheme) ?? false;
          })
          .map((r) => `${r.method} ${r.url}`),
      );
      const anonymous401: string[] = [];
      for (const key of registered) {
        const [method, path] = key.split(' ') as [MatrixRoute['method'], string];
        const answer = await server.publicApp.inject({ method, url: path.replace(/:\w+/g, 'x') });
        if (answer.statusCode === 401) anonymous401.push(key);
      }
      const authenticated = registered.filter(
        (key) => declaresBearer.has(key) || anonymous401.includes(key),
      );
      expect(authenticated.length).toBeGreaterThan(10);

      const walked = new Set(ROUTE_MATRIX.map((route) => `${route.method} ${route.path}`));
      const unaccounted = authenticated.filter(
        (key) => !walked.has(key) && !NOT_TENANT_SCOPED[key],
      );
      expect(unaccounted).toEqual([]);
      const stale = [...walked, ...Object.keys(NOT_TENANT_SCOPED)].filter(
        (key) => !authenticated.includes(key),
      );
      expect(stale).toEqual([]);
    });

    it('checks the session and the declared role before it reads the request', async () => {
      const routes = registeredRoutes(server.publicApp).flatMap((route) => {
        const security = (route.schema as { security?: Record<string, string[]>[] })?.security;
        const roles = security?.find((requirement) => 'bearer' in requirement)?.bearer;
        return roles === undefined ? [] : [{ ...route, roles }];
      });
      expect(routes.filter((route) => route.roles.includes('super_admin')).length).toBeGreaterThan(
        5,
      );
      expect(routes.filter((route) => route.roles.includes('admin')).length).toBeGreaterThan(5);
      // Input no route accepts: an unknown query value and a body of the wrong shape.
      const junk = (route: { method: string; url: string }, session?: string) =>
        server.publicApp.inject({
          method: route.method as MatrixRoute['method'],
          url: `${route.url.replace(/:\w+/g, 'x'.repeat(70))}?limit=many&active=perhaps`,
          headers: {
            ...(session ? { authorization: `Bearer ${session}` } : {}),
            ...(route.method === 'GET' ? {} : { 'content-type': 'application/json' }),
          },
          ...(route.method === 'GET' ? {} : { payload: '[1, 2, 3]' }),
        });
      for (const route of routes) {
        const key = `${route.method} ${route.url}`;
        const anonymous = await junk(route);
        expect([anonymous.statusCode, anonymous.json().error.code], key).toEqual([
          401,
          'unauthorized',
        ]);
        const reader = await junk(route, sessions['owner-read']);
        if (route.roles.length > 0) {
          expect([reader.statusCode, reader.json().error.code], key).toEqual([403, 'forbidden']);
        } else {
          expect(reader.statusCode, key).not.toBe(403);
        }
        if (route.roles.includes('super_admin')) {
          const admin = await junk(route, sessions['owner-admin']);
          expect([admin.statusCode, admin.json().error.code], key).toEqual([403, 'forbidden']);
        }
      }
    });

    it('every matrix row calls the route it names', () => {
      for (const route of ROUTE_MATRIX) {
        const pattern = new RegExp(`^${route.path.replace(/:\w+/g, '[^/]+')}$`);
        expect(new URL(route.url(owned), 'http://x').pathname, route.name).toMatch(pattern);
      }
    });

    it.each(Object.entries(NOT_TENANT_SCOPED).filter(([, entry]) => entry.superAdminOnly))(
      '%s is refused to a client administrator',
      async (key) => {
        const [method, path] = key.split(' ') as [MatrixRoute['method'], string];
        const answer = await server.publicApp.inject({
          method,
          url: path.replace(/:\w+/g, 'x'),
          headers: { authorization: `Bearer ${sessions['other-admin']}` },
        });
        expect(answer.statusCode).toBe(403);
        expect(answer.json().error.code).toBe('forbidden');
      },
    );
  },
);
