import { randomUUID } from 'node:crypto';

/**
 * Every dashboard route that reads or changes a client's data, as data, so that the tenant
 * isolation test walks all of them (`test/e2e/tenant-isolation.test.ts`). A module that adds a
 * route adds its row here; the objects it needs go into `Owned` and `ownedObjects` in the test.
 */

/** Objects that belong to the first client, which the second client must never reach. */
export interface Owned {
  clientId: string;
  tokenId: string;
  windowsTokenId: string;
  machineId: string;
  /** The agent version the owner's machine runs (listed with its machine count). */
  agentVersion: string;
}

export type Role = 'read_only' | 'client_admin' | 'super_admin';

export interface MatrixRoute {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as Fastify registers it (`/api/machines/:id`), to check the matrix is whole. */
  path: string;
  url: (owned: Owned) => string;
  body?: (owned: Owned) => unknown;
  /** The least role that may call the route at all (others get 403 `forbidden`). */
  role: Role;
  /**
   * `object`: addresses one of the owner's objects; another client gets 404 `not_found`.
   * `list`: another client's answer is 2xx and mentions none of the owner's ids.
   * `create`: another client's call succeeds for its own client, never for the owner.
   */
  kind: 'object' | 'list' | 'create';
  /**
   * For answers that can leak without naming an id (counts): whether `body` reveals any of the
   * owner's data. Without it, an answer reveals the owner's data when it names one of its ids.
   */
  reveals?: (body: string) => boolean;
  /** For `object` routes that change something: whether the object is still intact. */
  intact?: (owned: Owned, check: IntactChecks) => Promise<boolean>;
}

export interface IntactChecks {
  tokenActive(id: string): Promise<boolean>;
  machineActive(id: string): Promise<boolean>;
  machineOnStable(id: string): Promise<boolean>;
}

export const ROUTE_MATRIX: MatrixRoute[] = [
  {
    name: 'list machines',
    method: 'GET',
    path: '/api/machines',
    url: () => '/api/machines',
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'list machines naming the other client',
    method: 'GET',
    path: '/api/machines',
    url: (o) => `/api/machines?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'move a machine to the beta channel',
    method: 'PUT',
    path: '/api/machines/:id/channel',
    url: (o) => `/api/machines/${o.machineId}/channel`,
    body: () => ({ channel: 'beta' }),
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.machineOnStable(o.machineId),
  },
  {
    name: 'version pin naming the other client',
    method: 'GET',
    path: '/api/agent-versions/pin',
    url: (o) => `/api/agent-versions/pin?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'pin a version naming the other client',
    method: 'PUT',
    path: '/api/agent-versions/pin',
    url: (o) => `/api/agent-versions/pin?client_id=${o.clientId}`,
    body: () => ({ version: '1.0.0' }),
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'revoke a machine',
    method: 'DELETE',
    path: '/api/machines/:id',
    url: (o) => `/api/machines/${o.machineId}`,
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.machineActive(o.machineId),
  },
  {
    name: 'list tokens',
    method: 'GET',
    path: '/api/install-tokens',
    url: () => '/api/install-tokens',
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'list tokens naming the other client',
    method: 'GET',
    path: '/api/install-tokens',
    url: (o) => `/api/install-tokens?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'create a token naming the other client',
    method: 'POST',
    path: '/api/install-tokens',
    url: (o) => `/api/install-tokens?client_id=${o.clientId}`,
    body: () => ({ max_usage: 1 }),
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'revoke a token',
    method: 'DELETE',
    path: '/api/install-tokens/:id',
    url: (o) => `/api/install-tokens/${o.tokenId}`,
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.tokenActive(o.tokenId),
  },
  {
    name: 'revoke the mass-deployment token',
    method: 'DELETE',
    path: '/api/install-tokens/:id',
    url: (o) => `/api/install-tokens/${o.windowsTokenId}`,
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.tokenActive(o.windowsTokenId),
  },
  {
    name: 'mass-deployment progress naming the other client',
    method: 'GET',
    path: '/api/install-tokens/windows/active',
    url: (o) => `/api/install-tokens/windows/active?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'download a Windows installer naming the other client',
    method: 'GET',
    path: '/api/installer/windows',
    url: (o) => `/api/installer/windows?max_usage=10&client_id=${o.clientId}`,
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'download a one-machine Windows certificate installer naming the other client',
    method: 'GET',
    path: '/api/installer/windows',
    url: (o) => `/api/installer/windows?mode=certificate&client_id=${o.clientId}`,
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'inventory of a machine',
    method: 'GET',
    path: '/api/machines/:id/inventory',
    url: (o) => `/api/machines/${o.machineId}/inventory`,
    role: 'read_only',
    kind: 'object',
  },
  {
    name: 'metrics of a machine',
    method: 'GET',
    path: '/api/machines/:id/metrics',
    url: (o) => `/api/machines/${o.machineId}/metrics`,
    role: 'read_only',
    kind: 'object',
  },
  {
    name: 'agent versions with their machine counts naming the other client',
    method: 'GET',
    path: '/api/agent-versions',
    url: (o) => `/api/agent-versions?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
    reveals: (body) => {
      const { versions } = JSON.parse(body) as { versions: { machine_count: number }[] };
      return versions.some((version) => version.machine_count > 0);
    },
  },
  {
    name: 'download a Linux installer naming the other client',
    method: 'GET',
    path: '/api/installer/linux/:arch',
    url: (o) => `/api/installer/linux/amd64?max_usage=10&client_id=${o.clientId}`,
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'download a one-machine Linux certificate installer naming the other client',
    method: 'GET',
    path: '/api/installer/linux/:arch',
    url: (o) => `/api/installer/linux/arm64?mode=certificate&client_id=${o.clientId}`,
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'audit events',
    method: 'GET',
    path: '/api/audit',
    url: () => '/api/audit',
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'audit events naming the other client',
    method: 'GET',
    path: '/api/audit',
    url: (o) => `/api/audit?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'list users',
    method: 'GET',
    path: '/api/users',
    url: () => '/api/users',
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'list users naming the other client',
    method: 'GET',
    path: '/api/users',
    url: (o) => `/api/users?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'create a user naming the other client',
    method: 'POST',
    path: '/api/users',
    url: (o) => `/api/users?client_id=${o.clientId}`,
    body: () => ({ email: `new-${randomUUID()}@example.test`, role: 'client_admin' }),
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'list clients',
    method: 'GET',
    path: '/api/admin/clients',
    url: () => '/api/admin/clients',
    role: 'super_admin',
    kind: 'list',
  },
  {
    name: 'create a client',
    method: 'POST',
    path: '/api/admin/clients',
    url: () => '/api/admin/clients',
    body: () => ({ name: 'Intruder', admin_email: `intruder-${randomUUID()}@example.test` }),
    role: 'super_admin',
    kind: 'create',
  },
];

/**
 * Authenticated routes of the public listener that hold no client's data, so the matrix has no
 * row for them. Each says why; a route that is neither here nor in the matrix fails the test.
 */
export const NOT_TENANT_SCOPED: Record<string, { why: string; superAdminOnly?: true }> = {
  'GET /api/auth/me': { why: "the caller's own user, nobody else's" },
  'GET /api/settings': { why: "the server's public and agent URLs, the same for every client" },
  'POST /api/agent-versions': { why: 'the release catalogue is server-wide', superAdminOnly: true },
  'PATCH /api/agent-versions/:id': { why: 'the release catalogue', superAdminOnly: true },
  'DELETE /api/agent-versions/:id': { why: 'the release catalogue', superAdminOnly: true },
  'GET /api/agent-versions/available-downloads': {
    why: "the downloads directory's metadata files, shared by every client",
    superAdminOnly: true,
  },
  'POST /api/agent-versions/import': { why: 'the release catalogue', superAdminOnly: true },
  'PUT /api/agent/requirements': {
    why: 'the OS requirements every installer checks',
    superAdminOnly: true,
  },
  'GET /metrics': {
    why: "Prometheus counters of the whole server, read with OPTRALIS_METRICS_TOKEN, not a user's session",
  },
};
