import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import appStyle from './assets/app.css?raw';
import appScript from './assets/app.js?raw';
import page from './assets/index.html?raw';
import { type InstallerGui, installBodySchema } from './controller';

const SESSION_COOKIE = 'optralis_installer';
const MAX_BODY = 16 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface GuiServer {
  /** The address to open once: it carries the one-time secret. */
  entryUrl: string;
  origin: string;
  /** When the page last asked for the state (the window is open while it keeps asking). */
  lastSeen(): number | undefined;
  close(): Promise<void>;
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

function cookie(request: http.IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * The installer's page on 127.0.0.1, for its window only. The address it is opened with holds a
 * one-time secret, traded at the first visit for a session cookie (HttpOnly, SameSite=Strict)
 * and dead from then on: whoever reads the browser's command line afterwards gets nothing.
 * Every request needs the session; the Host must be this address (no DNS rebinding) and
 * actions must come from this origin.
 */
export async function startGuiServer(gui: InstallerGui): Promise<GuiServer> {
  let secret: string | undefined = crypto.randomBytes(32).toString('base64url');
  const session = crypto.randomBytes(32).toString('base64url');
  let seen: number | undefined;
  let origin = '';

  const send = (
    response: http.ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ) => {
    response.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...extra });
    response.end(body);
  };
  const json = (response: http.ServerResponse, status: number, value: unknown) =>
    send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
  const refuse = (response: http.ServerResponse) =>
    send(
      response,
      403,
      'text/plain; charset=utf-8',
      'Session invalide : relancez le programme d’installation.',
    );

  const readBody = (request: http.IncomingMessage) =>
    new Promise<unknown>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) request.destroy(new Error('body too large'));
        else chunks.push(chunk);
      });
      request.on('end', () => {
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(text ? JSON.parse(text) : {});
        } catch (error) {
          reject(error);
        }
      });
      request.on('error', reject);
    });

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? '/', origin);
    if (request.headers.host !== new URL(origin).host) return refuse(response);

    if (request.method === 'GET' && url.pathname === '/' && url.searchParams.has('k')) {
      const given = url.searchParams.get('k') ?? '';
      if (!secret || !equal(given, secret)) return refuse(response);
      secret = undefined;
      return send(response, 303, 'text/plain; charset=utf-8', '', {
        location: '/',
        'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      });
    }
    if (!equal(cookie(request, SESSION_COOKIE) ?? '', session)) return refuse(response);

    if (request.method === 'GET') {
      if (url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', page);
      if (url.pathname === '/app.js')
        return send(response, 200, 'text/javascript; charset=utf-8', appScript);
      if (url.pathname === '/app.css')
        return send(response, 200, 'text/css; charset=utf-8', appStyle);
      if (url.pathname === '/api/state') {
        seen = Date.now();
        return json(response, 200, gui.state);
      }
      return send(response, 404, 'text/plain; charset=utf-8', 'introuvable');
    }

    if (request.method !== 'POST') return send(response, 405, 'text/plain; charset=utf-8', '');
    if (request.headers.origin !== origin) return refuse(response);
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return json(response, 415, { error: 'JSON attendu' });
    }
    let body: unknown;
    try {
      body = await readBody(request);
    } catch {
      return json(response, 400, { error: 'requête illisible' });
    }
    if (url.pathname === '/api/install') {
      const parsed = installBodySchema.safeParse(body);
      if (!parsed.success) return json(response, 400, { error: 'formulaire invalide' });
      const error = await gui.install(parsed.data);
      return error ? json(response, 409, { error }) : json(response, 202, { started: true });
    }
    if (url.pathname === '/api/uninstall') {
      const error = gui.uninstall();
      return error ? json(response, 409, { error }) : json(response, 202, { started: true });
    }
    if (url.pathname === '/api/close') {
      gui.close();
      return json(response, 202, { closing: !gui.running });
    }
    return send(response, 404, 'text/plain; charset=utf-8', 'introuvable');
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) json(response, 500, { error: 'erreur interne' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    entryUrl: `${origin}/?k=${secret}`,
    origin,
    lastSeen: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
