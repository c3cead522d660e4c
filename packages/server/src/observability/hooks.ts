import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics';

/** Routes that hand out an installer or an install script, with the platform they serve. */
function installerPlatform(route: string, params: unknown): string | undefined {
  if (route === '/install.sh' || route.startsWith('/api/installer/linux')) return 'linux';
  if (route === '/install.ps1' || route.startsWith('/api/installer/windows')) return 'windows';
  if (route.startsWith('/api/installer/')) {
    const platform = (params as { platform?: unknown } | undefined)?.platform;
    return typeof platform === 'string' ? platform : 'other';
  }
  return undefined;
}

/**
 * Counts what passes through a listener from its responses, so that the routes themselves stay
 * free of metrics code: latency for every request, and the product's events by route.
 */
export function observeRequests(
  app: FastifyInstance,
  metrics: Metrics,
  listener: 'public' | 'agent',
): void {
  const count = (request: FastifyRequest, reply: FastifyReply): void => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.requestDuration.observe(
      { listener, method: request.method, route, status: String(status) },
      reply.elapsedTime / 1000,
    );
    const refused = status >= 400;
    const reason = request.errorCode ?? (refused ? `http_${status}` : '');
    if (listener === 'public' && route === '/api/public/bootstrap') {
      metrics.enrollments.inc({ outcome: refused ? 'refused' : 'enrolled', reason });
      if (reason.startsWith('token_')) metrics.tokenRefusals.inc({ reason });
      return;
    }
    if (listener === 'agent' && route === '/heartbeat') {
      metrics.heartbeats.inc({ outcome: refused ? 'refused' : 'ok' });
      return;
    }
    const platform = installerPlatform(route, request.params);
    if (platform && !refused) metrics.installerDownloads.inc({ platform });
  };
  // A callback hook, not an async one: it runs on every heartbeat and has nothing to wait for.
  app.addHook('onResponse', (request, reply, done) => {
    count(request, reply);
    done();
  });
}

/** Counts completed TLS handshakes on the agent listener, resumed sessions apart. */
export function observeHandshakes(app: FastifyInstance, metrics: Metrics): void {
  app.server.on('secureConnection', (socket: TLSSocket) => {
    metrics.handshakes.inc({ resumed: String(socket.isSessionReused()) });
  });
}
