import send from '@fastify/send';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { cacheControlOf, contentTypeOf, dashboardRoot, isBuilt, resolveTarget } from './files';

export const DASHBOARD_PATH = '/dashboard/';

/**
 * The page runs only its own bundle and talks only to this server; no other site may frame it
 * (the dashboard creates tokens and installers, a tempting target for clickjacking).
 */
const PAGE_HEADERS = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-cache',
};

const hidden = { schema: { hide: true } };

/**
 * The dashboard single-page application, built by `npm run build` into the dashboard package's
 * `dist` folder: its files under `/dashboard/`, the application page for every other path there
 * (the browser's router shows it), and `/` leading to it. Not part of the API reference.
 */
export function dashboardRoutes(app: FastifyInstance, ctx: AppContext): void {
  const root = dashboardRoot(ctx.config.dashboardDir);
  if (!isBuilt(root)) {
    ctx.log.warn({ dashboardDir: root }, 'the dashboard is not built; run npm run build');
  }

  app.get('/', hidden, async (_request, reply) => reply.redirect(DASHBOARD_PATH));
  app.get('/dashboard', hidden, async (_request, reply) => reply.redirect(DASHBOARD_PATH));

  app.get('/dashboard/*', hidden, async (request, reply) => {
    if (!isBuilt(root)) throw new AppError('dashboard_unavailable');
    const relative = (request.params as { '*': string })['*'];
    const target = resolveTarget(root, relative, request.headers['accept-encoding']);
    if (target.kind === 'missing') throw new AppError('not_found');
    if (target.kind === 'page') {
      reply.headers(PAGE_HEADERS);
      return sendFile(request, reply, root, 'index.html');
    }
    reply.header('cache-control', cacheControlOf(target.name));
    reply.header('x-content-type-options', 'nosniff');
    if (target.encoding) reply.header('content-encoding', target.encoding);
    return sendFile(request, reply, root, target.name);
  });
}

async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  root: string,
  name: string,
): Promise<FastifyReply> {
  const encoded = name.split('/').map(encodeURIComponent).join('/');
  const result = await send(request.raw, `/${encoded}`, {
    root,
    dotfiles: 'deny',
    index: false,
    cacheControl: false,
    contentType: false,
  });
  if (result.type !== 'file') {
    result.stream.destroy();
    throw new AppError('not_found');
  }
  reply.status(result.statusCode).headers(result.headers);
  reply.header('vary', 'Accept-Encoding');
  if (result.statusCode !== 304) reply.header('content-type', contentTypeOf(name));
  return reply.send(result.stream);
}
