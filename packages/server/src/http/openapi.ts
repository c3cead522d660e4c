import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { enforceSchemas } from './validate';

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A session from POST /api/auth/login. A route that lists roles (admin, super_admin) ' +
      'refuses other sessions with 403 before it reads the request.',
  },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'OPTRALIS_METRICS_TOKEN.' },
  mtls: { type: 'mutualTLS', description: 'A machine certificate of the Optralis CA.' },
};

/** What each listener registered, for the reference document and the test that checks it. */
const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

export interface RegisteredRoute {
  method: string;
  url: string;
  /** What the route declared; every route of the reference declares one. */
  schema: unknown;
  /** The function that serves it, for the test that checks it reads only what it declares. */
  handler: unknown;
}

/**
 * Enforces the schemas every route declares (see `enforceSchemas`) and describes them with
 * @fastify/swagger. Call before any route is added; routes must be registered inside
 * `app.register` scopes so that the plugin sees them.
 */
export function describeRoutes(app: FastifyInstance): void {
  const seen: RegisteredRoute[] = [];
  registered.set(app, seen);
  enforceSchemas(app);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      if (route.schema?.hide) continue;
      seen.push({ method, url: route.url, schema: route.schema, handler: route.handler });
    }
  });
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Optralis API',
        version: '1',
        description:
          'The dashboard/public API (bearer JWT from POST /api/auth/login) and the agent API ' +
          '(its own listener, mutual TLS with a machine certificate of the Optralis CA). ' +
          'Errors always have the shape {error:{code,message,field?},requestId}; the codes ' +
          'are listed in docs/errors.md.',
      },
      // OpenAPI 3.1's mutualTLS scheme is newer than the plugin's types.
      components: { securitySchemes: SECURITY_SCHEMES } as never,
    },
    transform: jsonSchemaTransform,
  });
}

/** Routes a listener registered (HEAD and hidden routes left out). */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registered.get(app) ?? [];
}

/** One document for both listeners: the public one's paths and the agent API's, tagged. */
export function mergeDocuments(publicApp: FastifyInstance, agentApp: FastifyInstance): object {
  const publicDoc = publicApp.swagger() as { paths?: Record<string, unknown> };
  const agentDoc = agentApp.swagger() as { paths?: Record<string, unknown> };
  return {
    ...publicDoc,
    paths: sortKeys({ ...(publicDoc.paths ?? {}), ...(agentDoc.paths ?? {}) }),
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

const agentApps = new WeakMap<object, FastifyInstance>();

/** Tells the public listener of a running server where its agent listener is. */
export function linkAgentApp(ctx: object, agentApp: FastifyInstance): void {
  agentApps.set(ctx, agentApp);
}

/** The reference document of a running server: both listeners once they are linked. */
export function referenceDocument(ctx: object, publicApp: FastifyInstance): object {
  const agentApp = agentApps.get(ctx);
  return agentApp ? mergeDocuments(publicApp, agentApp) : publicApp.swagger();
}

/** `/api/openapi.json` and the browsable `/api/docs`, serving the merged document. */
export function serveReference(app: FastifyInstance, document: () => object): void {
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => document());
  app.register(swaggerUi, {
    routePrefix: '/api/docs',
    transformSpecification: () => document(),
    transformSpecificationClone: false,
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
}
