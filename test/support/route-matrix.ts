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
}

export type Role = 'read_only' | 'client_admin' | 'super_admin';

export interface MatrixRoute {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
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
    url: () => '/api/machines',
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'list machines naming the other client',
    method: 'GET',
    url: (o) => `/api/machines?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'move a machine to the beta channel',
    method: 'PUT',
    url: (o) => `/api/machines/${o.machineId}/channel`,
    body: () => ({ channel: 'beta' }),
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.machineOnStable(o.machineId),
  },
  {
    name: 'version pin naming the other client',
    method: 'GET',
    url: (o) => `/api/agent-versions/pin?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'pin a version naming the other client',
    method: 'PUT',
    url: (o) => `/api/agent-versions/pin?client_id=${o.clientId}`,
    body: () => ({ version: '1.0.0' }),
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'revoke a machine',
    method: 'DELETE',
    url: (o) => `/api/machines/${o.machineId}`,
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.machineActive(o.machineId),
  },
  {
    name: 'list tokens',
    method: 'GET',
    url: () => '/api/install-tokens',
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'list tokens naming the other client',
    method: 'GET',
    url: (o) => `/api/install-tokens?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'create a token naming the other client',
    method: 'POST',
    url: (o) => `/api/install-tokens?client_id=${o.clientId}`,
    body: () => ({ max_usage: 1 }),
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'revoke a token',
    method: 'DELETE',
    url: (o) => `/api/install-tokens/${o.tokenId}`,
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.tokenActive(o.tokenId),
  },
  {
    name: 'revoke the mass-deployment token',
    method: 'DELETE',
    url: (o) => `/api/install-tokens/${o.windowsTokenId}`,
    role: 'client_admin',
    kind: 'object',
    intact: (o, check) => check.tokenActive(o.windowsTokenId),
  },
  {
    name: 'mass-deployment progress naming the other client',
    method: 'GET',
    url: (o) => `/api/install-tokens/windows/active?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'download a Windows installer naming the other client',
    method: 'GET',
    url: (o) => `/api/installer/windows?max_usage=10&client_id=${o.clientId}`,
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'download a one-machine Windows certificate installer naming the other client',
    method: 'GET',
    url: (o) => `/api/installer/windows?mode=certificate&client_id=${o.clientId}`,
    role: 'client_admin',
    kind: 'create',
  },
  { name: 'audit events', method: 'GET', url: () => '/api/audit', role: 'read_only', kind: 'list' },
  {
    name: 'audit events naming the other client',
    method: 'GET',
    url: (o) => `/api/audit?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  { name: 'list users', method: 'GET', url: () => '/api/users', role: 'read_only', kind: 'list' },
  {
    name: 'list users naming the other client',
    method: 'GET',
    url: (o) => `/api/users?client_id=${o.clientId}`,
    role: 'read_only',
    kind: 'list',
  },
  {
    name: 'create a user naming the other client',
    method: 'POST',
    url: (o) => `/api/users?client_id=${o.clientId}`,
    body: () => ({ email: `new-${randomUUID()}@example.test`, role: 'client_admin' }),
    role: 'client_admin',
    kind: 'create',
  },
  {
    name: 'list clients',
    method: 'GET',
    url: () => '/api/admin/clients',
    role: 'super_admin',
    kind: 'list',
  },
  {
    name: 'create a client',
    method: 'POST',
    url: () => '/api/admin/clients',
    body: () => ({ name: 'Intruder', admin_email: `intruder-${randomUUID()}@example.test` }),
    role: 'super_admin',
    kind: 'create',
  },
];
