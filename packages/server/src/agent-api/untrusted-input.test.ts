import https from 'node:https';
import { gzipSync } from 'node:zlib';
import {
  collectorsRequestSchema,
  heartbeatRequestSchema,
  inventoryRequestSchema,
  renewRequestSchema,
} from '@optralis/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestMachine, newClient, type TestMachine } from '../../../../test/support/machines';
import { startTestServer, type TestServer } from '../../../../test/support/server';
import { createClient } from '../clients/store';
import { isAppError } from '../errors';
import { parseInput } from '../http/validate';
import { createInstallToken } from '../tokens/service';
import { decodeJsonBody } from './body';

const SCHEMAS = {
  '/heartbeat': heartbeatRequestSchema,
  '/inventory': inventoryRequestSchema,
  '/collectors': collectorsRequestSchema,
  '/renew': renewRequestSchema,
};
const PATHS = Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[];

/** Values shaped like real bodies, with every field free to be anything. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.double(),
  fc.constantFrom(-1, 0, 1e300, -0, 2 ** 53, Number.MAX_SAFE_INTEGER + 2),
);
const heartbeatLike = fc.record(
  {
    version: fieldValue,
    platform: fc.oneof(fc.constantFrom('linux', 'windows'), fieldValue),
    arch: fc.oneof(fc.constantFrom('amd64', 'arm64'), fieldValue),
    uptime_seconds: fieldValue,
    cpu_percent: fieldValue,
    memory: fc.oneof(fc.record({ total_bytes: fieldValue, used_bytes: fieldValue }), fieldValue),
    temperature_c: fieldValue,
    ca_bundle_sha256: fieldValue,
  },
  { requiredKeys: [] },
);
const samplesLike = fc.record({
  samples: fc.array(
    fc.record(
      {
        at: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fieldValue,
        ),
        cpu_percent: fieldValue,
        disks: fc.oneof(
          fc.array(fc.record({ mount: fieldValue, total_bytes: fieldValue })),
          fieldValue,
        ),
        network: fc.oneof(fc.constant([]), fieldValue),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 5 },
  ),
});
const jsonBodies = fc.oneof(fc.jsonValue({ maxDepth: 4 }), heartbeatLike, samplesLike);

/** Bytes on the wire: JSON, gzip of JSON, gzip cut short, or noise. */
const wireBodies = fc.oneof(
  jsonBodies.map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  jsonBodies.map((value) => gzipSync(JSON.stringify(value) ?? 'null')),
  jsonBodies.chain((value) => {
    const packed = gzipSync(JSON.stringify(value) ?? 'null');
    return fc.nat({ max: packed.length }).map((cut) => packed.subarray(0, cut));
  }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  fc
    .uint8Array({ maxLength: 400 })
    .map((bytes) => Buffer.concat([Buffer.from([0x1f, 0x8b]), bytes])),
);

describe('every parser of the agent API, on any input', () => {
  it('reads a body into a checked value or refuses it with a 4xx code', () => {
    fc.assert(
      fc.property(wireBodies, fc.constantFrom(...PATHS), (body, path) => {
        try {
          parseInput(SCHEMAS[path], decodeJsonBody(body));
        } catch (error) {
          expect(isAppError(error)).toBe(true);
          if (isAppError(error)) {
            expect(error.status).toBeGreaterThanOrEqual(400);
            expect(error.status).toBeLessThan(500);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  describe('over mutual TLS, on a running server', () => {
    let server: TestServer;
    let machine: TestMachine;
    let agent: https.Agent;

    beforeAll(async () => {
      server = await startTestServer();
      machine = await enrollTestMachine(server, await newClient(server), 'fuzz-01');
      agent = new https.Agent({ keepAlive: true, maxSockets: 1, ...machine });
    });

    afterAll(async () => {
      agent?.destroy();
      await server?.stop();
    });

    function post(path: string, body: Buffer, encoding: string | undefined) {
      return new Promise<number>((resolve, reject) => {
        const request = https.request(
          `${server.agentApiUrl}${path}`,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              ...(encoding ? { 'content-encoding': encoding } : {}),
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end(body);
      });
    }

    it('answers every body with 200 or a refusal, never a 500, and stays up', async () => {
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(
          wireBodies,
          fc.constantFrom(...PATHS),
          fc.constantFrom(undefined, 'gzip', 'identity', 'x-gzip', 'br'),
          async (body, path, encoding) => {
            const status = await post(path, body, encoding);
            statuses.add(status);
            expect([200, 400, 413, 415, 429]).toContain(status);
          },
        ),
        { numRuns: 300 },
      );
      expect(statuses.has(400)).toBe(true);
      const health = await new Promise<number>((resolve) => {
        https.get(`${server.agentApiUrl}/health`, { agent }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
      });
      expect(health).toBe(200);
    });
  });
});

describe('the bootstrap body, on any input', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { OPTRALIS_BOOTSTRAP_RATE_PER_IP: '0', OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: '0' },
    });
    const clientId = (await createClient(server.ctx.db, 'Acme', new Date())).id;
    token = (
      await createInstallToken(server.ctx, {
        clientId,
        createdBy: 'test',
        kind: 'command',
        ttlMinutes: 60,
        maxUsage: 0,
      })
    ).value;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('is answered with a certificate or a coded refusal, never a 500', async () => {
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
      fc
        .record(
          {
            token: fc.oneof(fc.constant(token), fieldValue),
            hostname: fc.oneof(fc.domain(), fieldValue),
            hardware_id: fieldValue,
            arch: fc.oneof(fc.constantFrom('x86_64', 'aarch64', 'amd64'), fieldValue),
            platform: fieldValue,
            csr: fc.oneof(
              fc.constant(
                '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
              ),
              fieldValue,
            ),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200, unit: 'binary' }),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(bodies, async (payload) => {
        const answer = await server.publicApp.inject({
          method: 'POST',
          url: '/api/public/bootstrap',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        statuses.add(answer.statusCode);
        expect([200, 400, 403, 409, 413, 415]).toContain(answer.statusCode);
        if (answer.statusCode !== 200) expect(answer.json().error.code).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 300 },
    );
    expect(statuses.has(400)).toBe(true);
    expect((await server.publicApp.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
