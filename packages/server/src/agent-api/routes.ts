import { createHash } from 'node:crypto';
import {
  collectorsRequestSchema,
  type HeartbeatRequest,
  heartbeatRequestSchema,
  inventoryRequestSchema,
  renewRequestSchema,
  TEMPERATURE_UNAVAILABLE,
} from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { releasesForHeartbeat } from '../releases/offer-service';
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

  app.get('/health', async (request) => {
    const machine = principal(request);
    return { status: 'ok', machine_id: machine.machineId };
  });

  app.post('/heartbeat', async (request) => {
    const machine = principal(request);
    const body = parseInput(heartbeatRequestSchema, request.body);
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

  app.post('/inventory', async (request) => {
    const machine = principal(request);
    const body = parseInput(inventoryRequestSchema, request.body);
    await receiveInventory(ctx, machine, body);
    return { status: 'ok' as const };
  });

  app.post('/collectors', async (request) => {
    const machine = principal(request);
    const body = parseInput(collectorsRequestSchema, request.body);
    const stored = await receiveSamples(ctx, machine, body);
    return { status: 'ok' as const, stored };
  });

  app.post('/renew', async (request) => {
    const machine = principal(request);
    const body = parseInput(renewRequestSchema, request.body);
    return renewCertificate(ctx, machine, body);
  });
}
