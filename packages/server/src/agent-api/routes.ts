import { createHash } from 'node:crypto';
import {
  agentChannelRequestSchema,
  agentChannelResponseSchema,
  agentHealthSchema,
  collectorsRequestSchema,
  collectorsResponseSchema,
  type HeartbeatRequest,
  heartbeatRequestSchema,
  heartbeatResponseSchema,
  inventoryRequestSchema,
  inventoryResponseSchema,
  renewRequestSchema,
  renewResponseSchema,
  TEMPERATURE_UNAVAILABLE,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { errors, MTLS } from '../http/route-schema';
import { releasesForHeartbeat } from '../releases/offer-service';
import { moveMachine } from '../releases/policy';
import { receiveInventory, receiveSamples } from '../telemetry/service';
import { checkContentEncoding } from './body';
import { type HeartbeatState, heartbeatBuffer } from './heartbeat-buffer';
import { authenticateMachine, type MachinePrincipal } from './identity';
import { renewCertificate } from './renewal';

declare module 'fastify' {
  interface FastifyRequest {
    machine?: MachinePrincipal;
  }
}

function principal(request: { machine?: MachinePrincipal }): MachinePrincipal {
  if (!request.machine) throw new Error('agent route reached without an authenticated machine');
  return request.machine;
}

function heartbeatState(body: HeartbeatRequest, now: Date): HeartbeatState {
  const temperature = body.temperature_c ?? TEMPERATURE_UNAVAILABLE;
  return {
    last_seen_at: now.toISOString(),
    agent_version: body.version,
    platform: body.platform,
    arch: body.arch,
    uptime_seconds: body.uptime_seconds === undefined ? null : Math.round(body.uptime_seconds),
    cpu_percent: body.cpu_percent ?? null,
    memory_total_bytes: body.memory?.total_bytes ?? null,
    memory_used_bytes: body.memory?.used_bytes ?? null,
    disk_total_bytes: body.disk?.total_bytes ?? null,
    disk_used_bytes: body.disk?.used_bytes ?? null,
    temperature_c: temperature === TEMPERATURE_UNAVAILABLE ? null : temperature,
  };
}

const bundleHashes = new WeakMap<object, { pem: string; sha256: string }>();

/** SHA-256 of the trust bundle agents are given, recomputed only when the bundle changes. */
function bundleSha256(ctx: AppContext): string {
  const known = bundleHashes.get(ctx);
  if (known && known.pem === ctx.caTrust.bundlePem) return known.sha256;
  const sha256 = createHash('sha256').update(ctx.caTrust.bundlePem).digest('hex');
  bundleHashes.set(ctx, { pem: ctx.caTrust.bundlePem, sha256 });
  return sha256;
}

export function agentRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Identity and encoding are settled before the body is read or inflated.
  app.addHook('onRequest', async (request) => {
    request.machine = await authenticateMachine(ctx, request);
    checkContentEncoding(request.headers['content-encoding']);
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  const agent = (summary: string, description?: string) => ({
    tags: ['agent API'],
    summary,
    ...(description ? { description } : {}),
    security: MTLS,
  });
  const bodyRefusals = errors(400, 401, 403, 413, 415);

  const health = {
    ...agent('Check the machine certificate and the connection'),
    response: { 200: agentHealthSchema, ...errors(401, 403) },
  };
  api.get('/health', { schema: health }, async (request) => {
    const machine = principal(request);
    return { status: 'ok' as const, machine_id: machine.machineId };
  });

  const heartbeat = {
    ...agent(
      'Report the machine state; the answer may offer an update',
      'The body may be gzip-compressed; the gzip magic bytes decide.',
    ),
    body: heartbeatRequestSchema,
    response: { 200: heartbeatResponseSchema, ...bodyRefusals },
  };
  api.post('/heartbeat', { schema: heartbeat }, async (request) => {
    const machine = principal(request);
    const body = request.body;
    // Releases: the signed catalogue sequence and update offer, if any (compares with the
    // version stored before this).
    const releases = await releasesForHeartbeat(ctx, machine, body);
    await heartbeatBuffer(ctx).record(machine.machineId, heartbeatState(body, ctx.clock()));
    // CA rotation: an agent holding another bundle gets the current one; an agent whose
    // certificate comes from a CA being retired is told to renew onto the active one.
    const bundle =
      body.ca_bundle_sha256 !== undefined && body.ca_bundle_sha256 !== bundleSha256(ctx)
        ? ctx.caTrust.bundlePem
        : undefined;
    return {
      status: 'ok' as const,
      ...(releases?.update ? { update: releases.update } : {}),
      ...(releases ? { releases: releases.releases } : {}),
      ...(bundle ? { ca_bundle: bundle } : {}),
      ...(machine.fromActiveCa ? {} : { renew: true }),
    };
  });

  const inventory = {
    ...agent(
      'Report what the machine is made of (sent at start and daily)',
      'Gzip like the heartbeat. An inventory older than the stored one changes nothing.',
    ),
    body: inventoryRequestSchema,
    response: { 200: inventoryResponseSchema, ...bodyRefusals },
  };
  api.post('/inventory', { schema: inventory }, async (request) => {
    const machine = principal(request);
    const body = request.body;
    await receiveInventory(ctx, machine, body);
    return { status: 'ok' as const };
  });

  const collectors = {
    ...agent(
      'Send metric samples (CPU, memory, disks, network, temperatures)',
      'Gzip like the heartbeat. A sample already stored (same machine and time) is not stored ' +
        'again; samples older than the retention or more than an hour ahead are dropped.',
    ),
    body: collectorsRequestSchema,
    response: { 200: collectorsResponseSchema, ...bodyRefusals },
  };
  api.post('/collectors', { schema: collectors }, async (request) => {
    const machine = principal(request);
    const body = request.body;
    const stored = await receiveSamples(ctx, machine, body);
    return { status: 'ok' as const, stored };
  });

  const channel = {
    ...agent(
      'Move the machine to another release channel',
      'Sent by an installer run again with another --channel on an enrolled machine; recorded ' +
        'in the audit log as machine.channel_changed by the machine itself.',
    ),
    body: agentChannelRequestSchema,
    response: { 200: agentChannelResponseSchema, ...bodyRefusals },
  };
  api.post('/channel', { schema: channel }, async (request) => {
    const machine = principal(request);
    const body = request.body;
    const actor = `machine:${machine.machineId}`;
    await moveMachine(ctx, machine.machineId, machine.clientId, body.channel, actor);
    return { status: 'ok' as const, machine_id: machine.machineId, channel: body.channel };
  });

  const renew = {
    ...agent(
      'Renew the machine certificate for a key made on the machine',
      'Signed by the active CA for the same machine. The previous certificate keeps working ' +
        'until the new one is first used, then it is revoked.',
    ),
    body: renewRequestSchema,
    response: { 200: renewResponseSchema, ...errors(400, 401, 403, 413, 415, 429) },
  };
  api.post('/renew', { schema: renew }, async (request) => {
    const machine = principal(request);
    const body = request.body;
    return renewCertificate(ctx, machine, body);
  });
}
