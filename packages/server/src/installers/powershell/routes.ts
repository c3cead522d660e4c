import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { text } from '../../http/route-schema';
import { installScript } from './script';

/**
 * `GET /install.ps1` (public): the PowerShell one-liner's script, with this server's public URL
 * in it. It holds no secret: the token is the administrator's `-Token` argument.
 */
export function powershellInstallerRoutes(app: FastifyInstance, ctx: AppContext): void {
  const schema = {
    tags: ['installers'],
    summary: 'The PowerShell installer script (public)',
    description:
      'Windows PowerShell 5.1 script for `irm {server}/install.ps1 -OutFile install.ps1; ' +
      '.\\install.ps1 -Token "<TOKEN>"` with `-Beta` and `-WithLHM`: TLS 1.2, the channel\'s ' +
      'metadata-windows.json, download, SHA-256 check, token handed to the installer in a file, ' +
      'its seven steps shown as it reports them. ASCII only; it holds no secret.',
    response: { 200: text("The script, with this server's public URL in it.") },
  };
  app.get('/install.ps1', { schema }, async (_request, reply) => {
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-disposition', 'inline; filename=install.ps1');
    return installScript(ctx.urls.publicUrl);
  });
}
