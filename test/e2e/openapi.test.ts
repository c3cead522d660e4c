import fs from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../packages/server/src/http/api-reference';
import { registeredRoutes } from '../../packages/server/src/http/openapi';
import { generateReference, OPENAPI_FILE } from '../../scripts/openapi';
import { startTestServer, type TestServer } from '../support/server';

type Document = { paths: Record<string, Record<string, unknown>> };

describe('the API reference', () => {
  let server: TestServer;
  let document: Document;

  beforeAll(async () => {
    server = await startTestServer({
      env: { OPTRALIS_METRICS_TOKEN: 'metrics-token-for-tests-0123456789' },
    });
    const response = await fetch(`${server.publicUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Document;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is a valid OpenAPI document', async () => {
    const result = await new Validator().validate(document as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route either listener registered, on the right listener', () => {
    const listeners = { public: server.publicApp, agent: server.agentApp } as const;
    for (const [listener, app] of Object.entries(listeners)) {
      const routes = registeredRoutes(app).filter((route) => !route.url.startsWith('/api/docs'));
      expect(routes.length).toBeGreaterThan(1);
      for (const { method, url } of routes) {
        const key = `${method} ${url}`;
        expect(API_ROUTES[key]?.listener, `${key} is missing from api-reference.ts`).toBe(listener);
        const path = url.replace(/:(\w+)/g, '{$1}');
        expect(
          document.paths[path]?.[method.toLowerCase()],
          `${key} in the document`,
        ).toBeDefined();
      }
    }
  });

  it('names no route that does not exist', () => {
    const registered = new Set(
      [server.publicApp, server.agentApp].flatMap((app) =>
        registeredRoutes(app).map((route) => `${route.method} ${route.url}`),
      ),
    );
    const stale = Object.keys(API_ROUTES).filter((key) => !registered.has(key));
    expect(stale).toEqual([]);
  });

  it('is committed as docs/openapi.json, up to date (npm run openapi rewrites it)', async () => {
    const { text } = await generateReference();
    expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(text);
  });

  it('has a browsable page', async () => {
    const page = await fetch(`${server.publicUrl}/api/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const json = await fetch(`${server.publicUrl}/api/docs/json`);
    expect(((await json.json()) as Document).paths['/heartbeat']).toBeDefined();
  });
});
