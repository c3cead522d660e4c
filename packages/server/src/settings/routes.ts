import type { FastifyInstance } from 'fastify';
import { requireUser } from '../auth/guard';
import type { AppContext } from '../context';

/** What the dashboard needs to write the install commands it shows. */
export function settingsRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/settings', async (request) => {
    await requireUser(ctx, request);
    return { public_url: ctx.urls.publicUrl, agent_api_url: ctx.urls.agentApiUrl };
  });
}
