import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { installScript } from './script';

/**
 * `GET /install.ps1` (public): the PowerShell one-liner's script, with this server's public URL
 * in it. It holds no secret: the token is the administrator's `-Token` argument.
 */
export function powershellInstallerRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/install.ps1', async (_request, reply) => {
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-disposition', 'inline; filename=install.ps1');
    return installScript(ctx.urls.publicUrl);
  });
}
