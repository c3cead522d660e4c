import { settingsResponseSchema } from '@optralis/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireUser } from '../auth/guard';
import type { AppContext } from '../context';
import { BEARER, errors } from '../http/route-schema';

/** What the dashboard needs to write the install commands it shows. */
export function settingsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const schema = {
    tags: ['auth'],
    summary: 'Where installers and agents reach this server (the URLs the dashboard shows)',
    security: BEARER,
    response: { 200: settingsResponseSchema, ...errors(401) },
  };
  app.withTypeProvider<ZodTypeProvider>().get('/api/settings', { schema }, async (request) => {
    await requireUser(ctx, request);
    return { public_url: ctx.urls.publicUrl, agent_api_url: ctx.urls.agentApiUrl };
  });
}
