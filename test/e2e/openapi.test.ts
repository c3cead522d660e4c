import fs from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('describes every route either listener registered, from the schema the route declares', () => {
    const listeners = { public: server.publicApp, agent: server.agentApp } as const;
    for (const app of Object.values(listeners)) {
      const own = app.swagger() as Document;
      const routes = registeredRoutes(app).filter((route) => !route.url.startsWith('/api/docs'));
      expect(routes.length).toBeGreaterThan(1);
      for (const { method, url, schema } of routes) {
        const key = `${method} ${url}`;
        const declared = schema as { summary?: string; response?: object } | undefined;
        expect(declared?.summary, `${key} declares no summary`).toBeTruthy();
        expect(declared?.response, `${key} declares no response`).toBeDefined();
        const path = url.replace(/:(\w+)/g, '{$1}');
        expect(own.paths[path]?.[method.toLowerCase()], `${key} on its listener`).toBeDefined();
        expect(
          document.paths[path]?.[method.toLowerCase()],
          `${key} in the document`,
        ).toBeDefined();
      }
    }
  });

  it('declares the parameters, query and body every route reads', () => {
    type Part = { shape?: Record<string, unknown> } | undefined;
    type Declared = { params?: Part; querystring?: Part; body?: Part };
    const routes = [server.publicApp, server.agentApp].flatMap((app) => registeredRoutes(app));
    const keys = (part: Part) => Object.keys(part?.shape ?? {}).sort();
    for (const { method, url, schema, handler } of routes) {
      const key = `${method} ${url}`;
      const declared = (schema ?? {}) as Declared;
      const source = String(handler);

      const inUrl = [...url.matchAll(/:(\w+)/g)].map((match) => match[1]).sort();
      expect(keys(declared.params), `${key} declares its path parameters`).toEqual(inUrl);
      if (source.includes('request.params')) {
        expect(declared.params, `${key} reads params it does not declare`).toBeDefined();
      }

      // A body is what these methods carry; clients and proxies may drop one on GET or DELETE.
      const takesBody = ['POST', 'PUT', 'PATCH'].includes(method);
      expect(declared.body !== undefined, `${key} declares a body: ${takesBody}`).toBe(takesBody);
      if (source.includes('request.body')) {
        expect(declared.body, `${key} reads a body it does not declare`).toBeDefined();
      }

      if (source.includes('request.query')) {
        expect(declared.querystring, `${key} reads a query it does not declare`).toBeDefined();
      }
      // The scope helpers read ?client_id= for a super-admin (called by name, or through an
      // import binding once the module is transformed).
      if (/\b(readScope|writeScope)\b/.test(source)) {
        expect(keys(declared.querystring), `${key} reads ?client_id=`).toContain('client_id');
      }
    }
  });

  it('names no route that does not exist', () => {
    const registered = new Set(
      [server.publicApp, server.agentApp].flatMap((app) =>
        registeredRoutes(app).map(
          (route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`,
        ),
      ),
    );
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.filter((key) => !registered.has(key))).toEqual([]);
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
