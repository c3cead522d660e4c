import Fastify, { type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { installErrorHandler } from './error-handler';
import { errors } from './route-schema';
import { enforceSchemas, parseInput } from './validate';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const strictBody = z
  .object({ name: z.string(), options: z.object({ fast: z.boolean() }).strict().optional() })
  .strict();

/** The refusal parseInput throws for a body checked outside a route's declared schema. */
function parseInputError(input: unknown): unknown {
  try {
    parseInput(strictBody, input);
  } catch (error) {
    return error;
  }
  throw new Error('parseInput accepted the input');
}

/** A listener set up like the real ones, with routes whose declared schemas are checked. */
async function appWithRoutes(): Promise<FastifyInstance> {
  const made = Fastify({ logger: false });
  installErrorHandler(made);
  enforceSchemas(made);
  const api = made.withTypeProvider<ZodTypeProvider>();
  const answer = z.object({ count: z.number().int() });
  const described = z.object({
    id: z.string(),
    note: z.string().nullable(),
    size: z.number().optional(),
    tags: z.array(z.string()),
    nested: z.object({ on: z.boolean() }),
  });
  api.post(
    '/things',
    {
      schema: {
        querystring: z.object({ limit: z.coerce.number().int().max(10).optional() }),
        body: z.object({ name: z.string().max(8).optional(), hostname: z.string().optional() }),
        response: { 200: answer, ...errors(400) },
      },
    },
    async (request) => ({ count: request.query.limit ?? 0, secret: 'stripped' }),
  );
  api.post('/strict', { schema: { body: strictBody } }, async () => ({ ok: true }));
  api.get(
    '/wrong',
    { schema: { response: { 200: answer } } },
    async () => ({ count: 'many' }) as unknown as { count: number },
  );
  api.get(
    '/partial',
    { schema: { response: { 200: answer } } },
    async () => ({}) as unknown as { count: number },
  );
  api.get('/described', { schema: { response: { 200: described } } }, async () => ({
    id: 'a"b\\c\u2028',
    note: null,
    tags: ['x', 'é'],
    nested: { on: true },
  }));
  api.get(
    '/coded',
    {
      schema: { querystring: z.object({ channel: z.enum(['stable', 'beta']).optional() }) },
      config: { fieldCodes: { channel: 'invalid_channel' } },
    },
    async () => ({ ok: true }),
  );
  await made.ready();
  app = made;
  return made;
}

describe('declared route schemas', () => {
  it('refuse a bad field with validation_failed, naming the field', async () => {
    const server = await appWithRoutes();
    const response = await server.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'far too long a name' },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toMatchObject({ code: 'validation_failed', field: 'name' });
    expect(body.error.message).toMatch(/^name: /);
  });

  it('give a query string its declared type, and refuse one out of bounds', async () => {
    const server = await appWithRoutes();
    const ok = await server.inject({ method: 'POST', url: '/things?limit=7', payload: {} });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ count: 7 });
    const refused = await server.inject({ method: 'POST', url: '/things?limit=11', payload: {} });
    expect(refused.json().error).toMatchObject({ code: 'validation_failed', field: 'limit' });
  });

  it('read a missing body as an empty object, and refuse a body that is not an object', async () => {
    const server = await appWithRoutes();
    const empty = await server.inject({ method: 'POST', url: '/things' });
    expect(empty.statusCode).toBe(200);
    const list = await server.inject({ method: 'POST', url: '/things', payload: [1, 2] });
    expect(list.statusCode).toBe(400);
    expect(list.json().error).toEqual({
      code: 'validation_failed',
      message: 'The request body must be a JSON object.',
    });
  });

  it('name a field the route does not know, rather than blaming the whole body', async () => {
    const server = await appWithRoutes();
    const response = await server.inject({
      method: 'POST',
      url: '/strict',
      payload: { name: 'web', colour: 'red', size: 3 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: 'validation_failed',
      field: 'colour',
      message: 'colour: is not a known field (nor size)',
    });
    const nested = await server.inject({
      method: 'POST',
      url: '/strict',
      payload: { name: 'web', options: { fast: true, loud: true } },
    });
    expect(nested.json().error).toMatchObject({
      field: 'options.loud',
      message: 'options.loud: is not a known field',
    });
    const guarded = parseInputError({ name: 'web', extra: 1 });
    expect(guarded).toMatchObject({ code: 'validation_failed', field: 'extra' });
  });

  it('keep the codes of their own for hostname on every route and for a route’s fields', async () => {
    const server = await appWithRoutes();
    const host = await server.inject({ method: 'POST', url: '/things', payload: { hostname: 5 } });
    expect(host.json().error).toMatchObject({ code: 'invalid_hostname', field: 'hostname' });
    const channel = await server.inject({ method: 'GET', url: '/coded?channel=nightly' });
    expect(channel.statusCode).toBe(400);
    expect(channel.json().error).toMatchObject({ code: 'invalid_channel', field: 'channel' });
  });

  it('answer only what the response schema declares', async () => {
    const server = await appWithRoutes();
    const stripped = await server.inject({ method: 'POST', url: '/things', payload: {} });
    expect(stripped.json()).toEqual({ count: 0 });
    const wrong = await server.inject({ method: 'GET', url: '/wrong' });
    expect(wrong.statusCode).toBe(500);
    expect(wrong.json().error.code).toBe('internal_error');
    const partial = await server.inject({ method: 'GET', url: '/partial' });
    expect(partial.statusCode).toBe(500);
    expect(partial.json().error.code).toBe('internal_error');
  });

  it('write answers as JSON.parse reads them back: escapes, nulls, lists, nested objects', async () => {
    const server = await appWithRoutes();
    const response = await server.inject({ method: 'GET', url: '/described' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: 'a"b\\c\u2028',
      note: null,
      tags: ['x', 'é'],
      nested: { on: true },
    });
  });
});
