import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, tempDir } from '../../../../test/support/server';
import { login } from '../../../../test/support/sessions';

const PAGE = '<!doctype html><title>Optralis</title><script src="/dashboard/assets/app-1a2b.js">';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

/** A build as Vite lays it out, made in the test. */
function fakeBuild(): string {
  const dir = tempDir('dashboard');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(dir, 'assets/app-1a2b.js'), SCRIPT);
  fs.writeFileSync(path.join(dir, 'assets/app-1a2b.js.gz'), zlib.gzipSync(SCRIPT));
  fs.writeFileSync(path.join(dir, '.env'), 'SECRET=1');
  fs.symlinkSync('/etc/hostname', path.join(dir, 'assets/linked.js'));
  return dir;
}

describe('the dashboard on the public listener', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { OPTRALIS_DASHBOARD_DIR: fakeBuild() } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    server.publicApp.inject({ method: 'GET', url, headers });

  it('leads from / and /dashboard to /dashboard/', async () => {
    for (const url of ['/', '/dashboard']) {
      const answer = await get(url);
      expect(answer.statusCode).toBe(302);
      expect(answer.headers.location).toBe('/dashboard/');
    }
  });

  it('answers every page of the application with index.html, not cached, framed by no one', async () => {
    for (const url of ['/dashboard/', '/dashboard/installation', '/dashboard/admin/updates?x=1']) {
      const answer = await get(url);
      expect(answer.statusCode, url).toBe(200);
      expect(answer.body).toBe(PAGE);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-cache');
      expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves the hashed assets for a year, precompressed to clients that accept gzip', async () => {
    const plain = await get('/dashboard/assets/app-1a2b.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(SCRIPT);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();

    const gzipped = await get('/dashboard/assets/app-1a2b.js', { 'accept-encoding': 'gzip, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gzipped.headers.vary).toContain('Accept-Encoding');
    expect(zlib.gunzipSync(gzipped.rawPayload).toString()).toBe(SCRIPT);
    expect(Number(gzipped.headers['content-length'])).toBeLessThan(SCRIPT.length / 10);

    const svg = await get('/dashboard/favicon.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('answers 304 to a revalidation of an unchanged file', async () => {
    const first = await get('/dashboard/assets/app-1a2b.js');
    const again = await get('/dashboard/assets/app-1a2b.js', {
      'if-none-match': String(first.headers.etag),
    });
    expect(again.statusCode).toBe(304);
  });

  it('refuses missing files, dot files, links and climbs instead of answering the page', async () => {
    for (const url of [
      '/dashboard/assets/missing-0000.js',
      '/dashboard/.env',
      '/dashboard/assets/linked.js',
      '/dashboard/assets/..%2F..%2Fetc%2Fhostname',
      '/dashboard/%2e%2e/%2e%2e/etc/passwd',
      '/dashboard/assets/app-1a2b.js%00.html',
    ]) {
      const answer = await get(url);
      expect(answer.statusCode, url).toBe(404);
      expect(answer.json().error.code, url).toBe('not_found');
    }
  });

  it('is left out of the API reference', async () => {
    const document = (await get('/api/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((key) => key.startsWith('/dashboard'))).toEqual([]);
  });

  it('tells the dashboard where installers reach the server (GET /api/settings)', async () => {
    expect((await get('/api/settings')).statusCode).toBe(401);
    const token = await login(server.publicApp, 'admin@localhost', 'correct-horse-battery');
    const answer = await get('/api/settings', { authorization: `Bearer ${token}` });
    expect(answer.json()).toEqual({
      public_url: server.publicUrl,
      agent_api_url: server.agentApiUrl,
    });
  });
});

describe('a server without a built dashboard', () => {
  it('keeps serving the API and says how to build the dashboard', async () => {
    const server = await startTestServer({
      env: { OPTRALIS_DASHBOARD_DIR: tempDir('no-dashboard') },
    });
    try {
      const page = await server.publicApp.inject({ method: 'GET', url: '/dashboard/machines' });
      expect(page.statusCode).toBe(503);
      expect(page.json().error.code).toBe('dashboard_unavailable');
      expect(page.json().error.message).toContain('npm run build');
      const health = await server.publicApp.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
