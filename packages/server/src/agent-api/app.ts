import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { AppContext } from '../context';
import { installErrorHandler } from '../http/error-handler';
import { describeRoutes } from '../http/openapi';
import { observeHandshakes, observeRequests } from '../observability/hooks';
import { bindRequestContext, requestIdOf } from '../observability/request-context';
import { installJsonBodyParser } from './body';
import { refuseRenegotiation } from './identity';
import { agentRoutes } from './routes';

/**
 * Agents keep one connection open between heartbeats, so the idle timeout must outlive the
 * longest usual interval: Node's 5-second default would turn every 10-second heartbeat into a new
 * TLS handshake.
 */
export const AGENT_KEEP_ALIVE_MS = 75_000;

export interface AgentTls {
  certificatePem: string;
  keyPem: string;
  /** CA certificates whose machine certificates are accepted. */
  trustedCaPems: string[];
}

/**
 * A fleet sends a heartbeat per machine every few seconds: two info lines for each would bury
 * everything else in the log. Requests the listener answers well are logged at debug; refusals
 * at info and failures at error, with the same fields as the public listener's request lines.
 */
class AgentRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = { res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else if (reply.statusCode >= 400) reply.log.info(fields, 'request completed');
    else reply.log.debug(fields, 'request completed');
  }
}

/** The agent API: mutual TLS with the Optralis CA, on its own listener. */
export function buildAgentApp(ctx: AppContext, tls: AgentTls): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'agent' }) as FastifyBaseLogger,
    // Behind a proxy that terminates mutual TLS, this listener speaks plain HTTP to it only.
    https:
      ctx.config.agentTls === 'proxy'
        ? null
        : {
            cert: tls.certificatePem,
            key: tls.keyPem,
            ca: tls.trustedCaPems,
            // The handshake asks for a certificate but lets the request through so that a missing or
            // wrong one gets a clear JSON refusal; `authenticateMachine` refuses it before the body.
            requestCert: true,
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
          },
    keepAliveTimeout: AGENT_KEEP_ALIVE_MS,
    bodyLimit: 1024 * 1024,
    genReqId: requestIdOf,
    logController: new AgentRequestLog(),
  });
  bindRequestContext(app);
  installErrorHandler(app);
  observeRequests(app, ctx.metrics, 'agent');
  observeHandshakes(app, ctx.metrics);
  if (ctx.config.agentTls !== 'proxy') app.server.on('secureConnection', refuseRenegotiation);
  installJsonBodyParser(app);
  describeRoutes(app);
  app.register(async (scope) => agentRoutes(scope, ctx));
  return app;
}
