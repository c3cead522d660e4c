import {
  activeWindowsTokenResponseSchema,
  agentHealthSchema,
  agentRequirementsSchema,
  agentVersionSchema,
  availableDownloadsResponseSchema,
  bootstrapRequestSchema,
  bootstrapResponseSchema,
  collectorsRequestSchema,
  collectorsResponseSchema,
  createAgentVersionRequestSchema,
  createClientRequestSchema,
  createClientResponseSchema,
  createdInstallTokenSchema,
  createInstallTokenRequestSchema,
  createUserRequestSchema,
  createUserResponseSchema,
  errorBodySchema,
  healthSchema,
  heartbeatRequestSchema,
  heartbeatResponseSchema,
  importAgentVersionsRequestSchema,
  importAgentVersionsResponseSchema,
  inventoryRequestSchema,
  inventoryResponseSchema,
  latestVersionQuerySchema,
  latestVersionResponseSchema,
  listAgentVersionsResponseSchema,
  listAuditResponseSchema,
  listClientsResponseSchema,
  listInstallTokensResponseSchema,
  listUsersResponseSchema,
  loginRequestSchema,
  loginResponseSchema,
  machineChannelRequestSchema,
  machineInventoryResponseSchema,
  machineListSchema,
  machineMetricsQuerySchema,
  machineMetricsResponseSchema,
  readinessSchema,
  renewRequestSchema,
  renewResponseSchema,
  settingsResponseSchema,
  updateAgentRequirementsRequestSchema,
  updateAgentVersionRequestSchema,
  userSchema,
  versionPinRequestSchema,
  versionPinResponseSchema,
} from '@optralis/protocol';
import { z } from 'zod';
import { downloadParams } from '../downloads/routes';
import { linuxInstallerParams, linuxInstallerQuery } from '../installers/linux/routes';
import { windowsInstallerQuery } from '../installers/windows/routes';

/** One route of the reference: where it lives, what it takes and what it answers. */
export interface ApiRoute {
  listener: 'public' | 'agent';
  tag: string;
  summary: string;
  description?: string;
  security?: 'bearer' | 'mtls';
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  responses: Record<string, unknown>;
}

/** Error responses: the same body for every code, listed with their meaning in docs/errors.md. */
function errors(...statuses: number[]): Record<string, z.ZodType> {
  return Object.fromEntries(statuses.map((status) => [String(status), errorBodySchema]));
}

/** A super-admin names the client it acts for; everyone else acts for their own. */
const clientScope = z.object({
  client_id: z.string().optional().describe('Super-admins only: the client to act for.'),
});

const idParam = z.object({ id: z.string() });

const noContent = z.null().describe('Done; no body.');

const text = (description: string) => ({
  description,
  content: { 'text/plain': { schema: z.string() } },
});

const shellScript = (description: string) => ({
  description,
  content: { 'text/x-shellscript': { schema: z.string().describe('a bash script') } },
});

const binary = (description: string) => ({
  description,
  content: { 'application/octet-stream': { schema: z.string().describe('bytes') } },
});

/**
 * The API reference: every route of both listeners, keyed by "METHOD url" as Fastify registers
 * it. A test fails when a registered route is missing here, so the published OpenAPI document
 * (`/api/openapi.json`, `docs/openapi.json`) always covers the whole API.
 */
export const API_ROUTES: Record<string, ApiRoute> = {
  'POST /api/auth/login': {
    listener: 'public',
    tag: 'auth',
    summary: 'Sign in and get a session token (rate-limited)',
    body: loginRequestSchema,
    responses: { 200: loginResponseSchema, ...errors(400, 401, 429) },
  },
  'POST /api/public/bootstrap': {
    listener: 'public',
    tag: 'enrollment',
    summary: 'Trade an install token for a machine certificate',
    description:
      'With a CSR (key made on the machine) the server signs it and returns no private key; ' +
      'without one it makes the key and returns it once. A refused request spends no token use.',
    body: bootstrapRequestSchema,
    responses: { 200: bootstrapResponseSchema, ...errors(400, 403, 409, 413, 429) },
  },
  'GET /api/machines': {
    listener: 'public',
    tag: 'machines',
    summary: 'List the machines of the caller’s client (all clients for a super-admin)',
    security: 'bearer',
    responses: { 200: machineListSchema, ...errors(401) },
  },
  'GET /api/auth/me': {
    listener: 'public',
    tag: 'auth',
    summary: 'The signed-in user',
    security: 'bearer',
    responses: { 200: z.object({ user: userSchema }), ...errors(401) },
  },
  'GET /api/settings': {
    listener: 'public',
    tag: 'auth',
    summary: 'Where installers and agents reach this server (the URLs the dashboard shows)',
    security: 'bearer',
    responses: { 200: settingsResponseSchema, ...errors(401) },
  },
  'DELETE /api/machines/:id': {
    listener: 'public',
    tag: 'machines',
    summary: 'Revoke a machine: its certificate stops working at its next request',
    security: 'bearer',
    params: idParam,
    querystring: clientScope,
    responses: { 204: noContent, ...errors(401, 403, 404) },
  },
  'GET /api/machines/:id/inventory': {
    listener: 'public',
    tag: 'machines',
    summary: 'The last inventory a machine sent (OS, CPU, memory, disks, network interfaces)',
    security: 'bearer',
    params: idParam,
    querystring: clientScope,
    responses: { 200: machineInventoryResponseSchema, ...errors(400, 401, 404) },
  },
  'GET /api/machines/:id/metrics': {
    listener: 'public',
    tag: 'machines',
    summary: 'Metric samples of a machine, oldest first (the newest 360 by default)',
    security: 'bearer',
    params: idParam,
    querystring: clientScope.extend(machineMetricsQuerySchema.shape),
    responses: { 200: machineMetricsResponseSchema, ...errors(400, 401, 404) },
  },
  'POST /api/admin/clients': {
    listener: 'public',
    tag: 'clients',
    summary: 'Create a client and its first administrator (super-admin)',
    description: 'The administrator’s password is in this answer only.',
    security: 'bearer',
    body: createClientRequestSchema,
    responses: { 201: createClientResponseSchema, ...errors(400, 401, 403, 409) },
  },
  'GET /api/admin/clients': {
    listener: 'public',
    tag: 'clients',
    summary: 'List clients (super-admin)',
    security: 'bearer',
    responses: { 200: listClientsResponseSchema, ...errors(401, 403) },
  },
  'GET /api/users': {
    listener: 'public',
    tag: 'clients',
    summary: 'List the users of a client',
    security: 'bearer',
    querystring: clientScope,
    responses: { 200: listUsersResponseSchema, ...errors(401, 404) },
  },
  'POST /api/users': {
    listener: 'public',
    tag: 'clients',
    summary: 'Add a user to a client (administrators); the password is shown once',
    security: 'bearer',
    querystring: clientScope,
    body: createUserRequestSchema,
    responses: { 201: createUserResponseSchema, ...errors(400, 401, 403, 404, 409) },
  },
  'POST /api/install-tokens': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'Create a command-line install token; its value is shown in this answer only',
    security: 'bearer',
    querystring: clientScope,
    body: createInstallTokenRequestSchema,
    responses: { 201: createdInstallTokenSchema, ...errors(400, 401, 403, 404) },
  },
  'GET /api/install-tokens': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'List install tokens, newest first (values are never shown again)',
    security: 'bearer',
    querystring: clientScope.extend({ active: z.enum(['true', 'false', '1', '0']).optional() }),
    responses: { 200: listInstallTokensResponseSchema, ...errors(401, 404) },
  },
  'GET /api/install-tokens/windows/active': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'The active Windows mass-deployment token, for the "X/N machines" progress',
    security: 'bearer',
    querystring: clientScope,
    responses: { 200: activeWindowsTokenResponseSchema, ...errors(401, 404) },
  },
  'DELETE /api/install-tokens/:id': {
    listener: 'public',
    tag: 'install tokens',
    summary: 'Revoke a token: no new installs; installed machines keep working',
    security: 'bearer',
    params: idParam,
    querystring: clientScope,
    responses: { 204: noContent, ...errors(401, 403, 404) },
  },
  'GET /api/audit': {
    listener: 'public',
    tag: 'audit',
    summary: 'Audit events, newest first',
    security: 'bearer',
    querystring: clientScope.extend({ limit: z.number().int().min(1).max(1000).optional() }),
    responses: { 200: listAuditResponseSchema, ...errors(400, 401, 404) },
  },
  'GET /api/agent-versions': {
    listener: 'public',
    tag: 'releases',
    summary: 'Agent versions, newest first, with the number of machines running each',
    description:
      'Every signed-in user may read them; machine counts cover the machines the reader may ' +
      'see (a super-admin: all, or one client with ?client_id=).',
    security: 'bearer',
    querystring: clientScope.extend({ platform: z.enum(['windows', 'linux']).optional() }),
    responses: { 200: listAgentVersionsResponseSchema, ...errors(400, 401) },
  },
  'POST /api/agent-versions': {
    listener: 'public',
    tag: 'releases',
    summary: 'Add an agent version (super-admin)',
    security: 'bearer',
    body: createAgentVersionRequestSchema,
    responses: { 201: agentVersionSchema, ...errors(400, 401, 403, 409) },
  },
  'PATCH /api/agent-versions/:id': {
    listener: 'public',
    tag: 'releases',
    summary: 'Edit, activate or deactivate a version, or change its rollout (super-admin)',
    security: 'bearer',
    params: idParam,
    body: updateAgentVersionRequestSchema,
    responses: { 200: agentVersionSchema, ...errors(400, 401, 403, 404, 409) },
  },
  'DELETE /api/agent-versions/:id': {
    listener: 'public',
    tag: 'releases',
    summary: 'Delete a version (super-admin); machines running it keep running',
    security: 'bearer',
    params: idParam,
    responses: { 204: noContent, ...errors(401, 403, 404) },
  },
  'GET /api/agent-versions/available-downloads': {
    listener: 'public',
    tag: 'releases',
    summary: 'What the metadata files of the downloads directory offer (super-admin)',
    description:
      'Each file is marked imported or not; unreadable metadata files are listed ' +
      'under errors, naming the file, and never hide the others.',
    security: 'bearer',
    responses: { 200: availableDownloadsResponseSchema, ...errors(401, 403) },
  },
  'POST /api/agent-versions/import': {
    listener: 'public',
    tag: 'releases',
    summary:
      '"Importer depuis serveur": create the versions the metadata files offer (super-admin)',
    security: 'bearer',
    body: importAgentVersionsRequestSchema,
    responses: { 200: importAgentVersionsResponseSchema, ...errors(400, 401, 403) },
  },
  'GET /api/agent-versions/pin': {
    listener: 'public',
    tag: 'releases',
    summary: 'The version a client’s machines are held at (null: none)',
    security: 'bearer',
    querystring: clientScope,
    responses: { 200: versionPinResponseSchema, ...errors(400, 401, 404) },
  },
  'PUT /api/agent-versions/pin': {
    listener: 'public',
    tag: 'releases',
    summary: 'Hold a client’s machines at a version: nothing newer is offered (administrators)',
    security: 'bearer',
    querystring: clientScope,
    body: versionPinRequestSchema,
    responses: { 200: versionPinResponseSchema, ...errors(400, 401, 403, 404) },
  },
  'PUT /api/machines/:id/channel': {
    listener: 'public',
    tag: 'releases',
    summary: 'Move a machine to the stable or beta channel (administrators)',
    description: 'A machine moved to an older channel is never offered a lower version.',
    security: 'bearer',
    params: idParam,
    querystring: clientScope,
    body: machineChannelRequestSchema,
    responses: { 204: noContent, ...errors(400, 401, 403, 404) },
  },
  'GET /api/agent/latest-version': {
    listener: 'public',
    tag: 'releases',
    summary: 'The latest fully rolled-out active release of a channel, platform and architecture',
    description: 'Defaults: channel=stable, platform=windows, architecture=amd64. Public.',
    querystring: latestVersionQuerySchema,
    responses: { 200: latestVersionResponseSchema, ...errors(400, 404) },
  },
  'GET /install.ps1': {
    listener: 'public',
    tag: 'installers',
    summary: 'The PowerShell installer script (public)',
    description:
      'Windows PowerShell 5.1 script for `irm {server}/install.ps1 -OutFile install.ps1; ' +
      '.\\install.ps1 -Token "<TOKEN>"` with `-Beta` and `-WithLHM`: TLS 1.2, the channel\'s ' +
      'metadata-windows.json, download, SHA-256 check, token handed to the installer in a file, ' +
      'its seven steps shown as it reports them. ASCII only; it holds no secret.',
    responses: { 200: text("The script, with this server's public URL in it.") },
  },
  'GET /agent/requirements': {
    listener: 'public',
    tag: 'releases',
    summary: 'OS requirements the installers check (public)',
    responses: { 200: agentRequirementsSchema },
  },
  'PUT /api/agent/requirements': {
    listener: 'public',
    tag: 'releases',
    summary: 'Change the OS requirements (super-admin)',
    security: 'bearer',
    body: updateAgentRequirementsRequestSchema,
    responses: { 200: agentRequirementsSchema, ...errors(400, 401, 403) },
  },
  'GET /downloads/:channel/:file': {
    listener: 'public',
    tag: 'releases',
    summary: 'An agent build or its metadata file, from the downloads directory (public)',
    description:
      'Channel stable or beta. Answers with Content-Length, ETag and Last-Modified; supports ' +
      'conditional requests and one byte range (Range: bytes=N-) for resumed downloads; sends ' +
      "the build's precompressed .gz with Content-Encoding: gzip when the client accepts gzip " +
      'and asks for no range.',
    params: downloadParams,
    responses: {
      200: binary('The file.'),
      206: binary('The requested byte range.'),
      304: noContent,
      ...errors(400, 404, 412, 416),
    },
  },
  'GET /install.sh': {
    listener: 'public',
    tag: 'installers',
    summary: 'The generic Linux installer, for curl … | sudo bash -s -- --token-file FILE',
    description:
      'Filled in with this server’s public URL; carries no secret. Options: --token-file, ' +
      '--token, --url, --channel, --no-service, --reenroll, --root (see --help).',
    responses: { 200: shellScript('install.sh') },
  },
  'GET /uninstall.sh': {
    listener: 'public',
    tag: 'installers',
    summary: 'The Linux uninstaller: service, program, configuration, certificates and logs',
    responses: { 200: shellScript('uninstall.sh') },
  },
  'GET /api/installer/linux/:arch': {
    listener: 'public',
    tag: 'installers',
    summary: 'A personalized install-optralis-agent.sh for amd64 or arm64 (administrators)',
    description:
      'Token mode (default) embeds a fresh installer token (24 hours unless ttl_minutes, ' +
      'max_usage machines, default 1) and the CA; certificate mode embeds the certificate and ' +
      'key of one machine enrolled now. Every call mints a new one: the answer is never ' +
      'cached. Audited as installer.generated.',
    security: 'bearer',
    params: linuxInstallerParams,
    querystring: linuxInstallerQuery,
    responses: {
      200: shellScript('install-optralis-agent.sh, named by Content-Disposition.'),
      ...errors(400, 401, 403, 404),
    },
  },
  'GET /api/installer/windows': {
    listener: 'public',
    tag: 'installers',
    summary:
      'A personalized Windows installer: the agent executable with a payload (administrators)',
    description:
      'Every call makes a new 24-hour windows_installer token for max_usage machines (1, 10, 50, ' +
      '0 = unlimited), or with mode=certificate enrolls one machine and carries its certificate ' +
      'and key. The payload (config.json, ca.crt, token.txt or client.crt and client.key) is ' +
      "added to the current stable Windows build (STUB_PATH_WINDOWS when set); a signed build's " +
      'Authenticode signature still verifies. Content-Disposition names the file ' +
      'optralis-agent-v{version}.exe, or after the client when no stable release in the database ' +
      'is that build. Without a build that can be personalized, or with format=zip, the answer ' +
      'is the fallback ZIP (install.ps1, README.txt, the payload files with ca.crt and ' +
      'release-key.json, and optralis-agent.exe when there is a build). With no Windows build ' +
      'to send or download at all: 503 windows_build_unavailable, and no token is made. Gzip ' +
      'when accepted; never cached; every call is an installer.generated audit event.',
    security: 'bearer',
    querystring: windowsInstallerQuery,
    responses: {
      200: {
        description: 'The installer.',
        content: {
          'application/vnd.microsoft.portable-executable': { schema: z.string().describe('bytes') },
          'application/zip': { schema: z.string().describe('bytes') },
        },
      },
      ...errors(400, 401, 403, 404, 503),
    },
  },
  'GET /healthz': {
    listener: 'public',
    tag: 'operations',
    summary: 'The process is up',
    responses: { 200: healthSchema },
  },
  'GET /readyz': {
    listener: 'public',
    tag: 'operations',
    summary: 'Database, CA and downloads directory are usable',
    responses: { 200: readinessSchema, 503: readinessSchema },
  },
  'GET /metrics': {
    listener: 'public',
    tag: 'operations',
    summary: 'Prometheus metrics (off unless OPTRALIS_METRICS_TOKEN or _PORT is set)',
    security: 'bearer',
    responses: { 200: text('Prometheus text exposition format.'), ...errors(401, 404) },
  },
  'GET /health': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Check the machine certificate and the connection',
    security: 'mtls',
    responses: { 200: agentHealthSchema, ...errors(401, 403) },
  },
  'POST /heartbeat': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Report the machine state; the answer may offer an update',
    description: 'The body may be gzip-compressed; the gzip magic bytes decide.',
    security: 'mtls',
    body: heartbeatRequestSchema,
    responses: { 200: heartbeatResponseSchema, ...errors(400, 401, 403, 413, 415) },
  },
  'POST /inventory': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Report what the machine is made of (sent at start and daily)',
    description: 'Gzip like the heartbeat. An inventory older than the stored one changes nothing.',
    security: 'mtls',
    body: inventoryRequestSchema,
    responses: { 200: inventoryResponseSchema, ...errors(400, 401, 403, 413, 415) },
  },
  'POST /collectors': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Send metric samples (CPU, memory, disks, network, temperatures)',
    description:
      'Gzip like the heartbeat. A sample already stored (same machine and time) is not stored ' +
      'again; samples older than the retention or more than an hour ahead are dropped.',
    security: 'mtls',
    body: collectorsRequestSchema,
    responses: { 200: collectorsResponseSchema, ...errors(400, 401, 403, 413, 415) },
  },
  'POST /renew': {
    listener: 'agent',
    tag: 'agent API',
    summary: 'Renew the machine certificate for a key made on the machine',
    description:
      'Signed by the active CA for the same machine. The previous certificate keeps working ' +
      'until the new one is first used, then it is revoked.',
    security: 'mtls',
    body: renewRequestSchema,
    responses: { 200: renewResponseSchema, ...errors(400, 401, 403, 413, 415, 429) },
  },
};
