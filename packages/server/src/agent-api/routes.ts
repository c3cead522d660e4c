import { heartbeatRequestSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { recordHeartbeat } from '../machines/store';
import { updateForHeartbeat } from '../releases/offer-service';
import { checkContentEncoding } from './body';
import { authenticateMachine, type MachinePrincipal } from './identity';

declare module 'fastify' {
  interface FastifyRequest {
    machine?: MachinePrincipal;
  }
}

function principal(request: { machine?: MachinePrincipal }): MachinePrincipal {
  if (!request.machine) throw new Error('agent route reached without an authenticated machine');
  return request.machine;
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
    // Releases: the signed update offer, if any (reads the version stored before this one).
    const update = await updateForHeartbeat(ctx, machine, body);
    await recordHeartbeat(ctx.db, machine.machineId, {
      agent_version: body.version,
      platform: body.platform,
      arch: body.arch,
      last_seen_at: ctx.clock().toISOString(),
    });
    return { status: 'ok' as const, ...(update ? { update } : {}) };
  });
}
